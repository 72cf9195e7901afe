"""Output files: atomic, and with the mode an ordinary file gets under the caller's umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from woasr_cli.formats import FormatOptions
from woasr_cli.outputs import write_outputs
from woasr_cli.transcript import Segment, Transcript


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_outputs_get_the_umask_mode(tmp_path: Path, umask: int, mode: int) -> None:
    transcript = Transcript([Segment(0.0, 1.0, " hello")], source="a.wav", duration=1.0)
    old = os.umask(umask)
    try:
        paths = write_outputs(transcript, tmp_path / "a", ("srt", "txt"), FormatOptions())
    finally:
        os.umask(old)
    assert [stat.S_IMODE(p.stat().st_mode) for p in paths] == [mode, mode]
    assert not list(tmp_path.glob(".*.part"))


def test_a_name_of_255_bytes_is_written(tmp_path: Path) -> None:
    """The temporary file beside it must not need a longer name than the file itself."""
    transcript = Transcript([Segment(0.0, 1.0, " hello")], source="a.wav", duration=1.0)
    stem = tmp_path / ("é" * 125)  # 250 bytes: "STEM.json" is 255
    paths = write_outputs(transcript, stem, ("json", "srt"), FormatOptions())
    assert [len(os.fsencode(p.name)) for p in paths] == [255, 254]
    assert "hello" in paths[1].read_text() and not list(tmp_path.glob(".*part"))


def test_render_of_a_loaded_json_names_what_to_do() -> None:
    # json.load'ed and handed over: AttributeError "'dict' object has no attribute
    # 'duration'" from deep inside the cue layout.
    from woasr_cli.outputs import render

    transcript = Transcript([Segment(0.0, 1.0, " Hi.")])
    with pytest.raises(TypeError, match=r"^render takes a Transcript, not dict: read it with "):
        render(transcript.to_dict(), "srt")  # type: ignore[arg-type]
    assert render(transcript, "txt") == {"txt": "Hi.\n"}


def _said(speaker: str | None, **options: object) -> Transcript:
    segments = [Segment(0.0, 1.5, " Hello there.", speaker=speaker), Segment(2.0, 3.0, " Hi.")]
    return Transcript(segments, duration=3.0, source="talk.wav", options=dict(options))


def test_rttm_of_a_transcript_without_speakers_is_an_input_error(tmp_path: Path) -> None:
    """``render(t, "rttm")`` gave '' (an RTTM saying nobody spoke) where ``woasr convert``
    refused the same transcript: the rule lives in the library now, with convert's words."""
    from woasr_cli.errors import InputError
    from woasr_cli.outputs import render

    with pytest.raises(InputError, match=r"^no speaker labels \(transcribed without --diarize\)"):
        render(_said(None), "srt,rttm")
    with pytest.raises(InputError, match="no speaker labels"):
        write_outputs(_said(None), tmp_path / "talk", ["srt", "rttm"])
    assert not list(tmp_path.iterdir())  # not even the srt


def test_all_means_rttm_too_for_a_transcript_with_speakers() -> None:
    """As ``woasr transcribe --diarize -f all`` and ``woasr convert`` expand it; ``render``
    left rttm out of "all" (and of its default) for a diarized transcript."""
    from woasr_cli.outputs import render

    labelled = render(_said("SPEAKER_00"))
    assert list(labelled) == ["vtt", "srt", "json", "txt", "tsv", "rttm"]
    assert labelled["rttm"].startswith("SPEAKER talk 1 0.000 1.500 <NA> <NA> SPEAKER_00")
    assert list(render(_said(None), "all")) == ["vtt", "srt", "json", "txt", "tsv"]
    # diarized, and nobody spoke (room tone): an empty RTTM, as transcribe writes it
    assert render(_said(None, diarize=True), "rttm") == {"rttm": ""}

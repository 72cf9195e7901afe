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

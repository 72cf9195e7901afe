"""Every option is one TranscribeOptions field plus a ``woasr transcribe`` flag of the same
name: the CLI builds its options from its parameters, so neither side can drift."""

from __future__ import annotations

from dataclasses import fields

import typer.main

from woasr_cli.cli.app import app
from woasr_cli.options import TranscribeOptions

# Parameters of `woasr transcribe` that are about the batch, not the transcript options.
BATCH_ONLY = {"inputs", "files_from", "output_dir", "manifest", "force", "quiet", "json_events"}
# The executor flags choose where the batch runs, not what it produces.
BATCH_ONLY |= {"executor", "ray_address", "ray_workers", "ray_gpus_per_worker", "ray_shared_fs"}


def transcribe_params() -> set[str]:
    command = typer.main.get_command(app).commands["transcribe"]  # type: ignore[attr-defined]
    return {p.name for p in command.params}


def test_every_option_has_its_flag_and_every_flag_its_option() -> None:
    option_names = {f.name for f in fields(TranscribeOptions) if not f.metadata.get("internal")}
    params = transcribe_params()
    assert option_names - params == set(), "options without a flag"
    assert params - option_names - BATCH_ONLY == set(), "flags that are not options"


def test_output_only_fields_stay_out_of_the_fingerprint() -> None:
    base = TranscribeOptions()
    assert base.with_changes(max_line_width=20, threads=3).fingerprint() == base.fingerprint()
    assert base.with_changes(beam_size=2).fingerprint() != base.fingerprint()
    assert "hf_token" not in base.with_changes(hf_token="secret").public_dict()


def test_another_audio_track_is_another_job_and_none_asked_keeps_older_jobs() -> None:
    """The same file asked for another track gives other words: its fingerprint differs, so a
    finished job is not taken for it. Not asking keeps the fingerprint older woasr wrote."""
    import pytest

    from woasr_cli.errors import UsageError

    base = TranscribeOptions()
    one, tagged = base.with_changes(audio_track="1"), base.with_changes(audio_track=" DEU")
    assert (one.audio_track, tagged.audio_track) == (1, "deu")
    assert "audio_track" not in base.fingerprint_fields()
    assert len({base.fingerprint(), one.fingerprint(), tagged.fingerprint()}) == 3
    assert one.fingerprint() == base.with_changes(audio_track=1).fingerprint()
    assert one.fingerprint() != base.with_changes(audio_track=2).fingerprint()
    for bad in (-1, "-1", "1.5", "e n", "", True, "\u00b2", "\u0663"):  # superscript 2, Arabic 3
        with pytest.raises(UsageError, match="--audio-track"):
            base.with_changes(audio_track=bad)


def test_what_the_pipeline_sets_is_neither_read_nor_written_nor_hashed() -> None:
    base = TranscribeOptions()
    detected = base.with_changes(language="ko", language_detected=True)
    assert "language_detected" not in detected.public_dict()
    assert TranscribeOptions.from_mapping({"language_detected": True}).language_detected is None
    assert "language_detected" not in base.fingerprint_fields()  # older jobs' hashes stand


def test_highlight_words_with_word_timestamps_off_is_refused() -> None:
    """``--highlight-words --no-word-timestamps`` turned word timestamps back on without a
    word (whisper's CLI refuses the pair); the library refuses it now, for every front end."""
    import pytest
    from typer.testing import CliRunner

    from woasr_cli.errors import UsageError

    said = "--highlight-words underlines each word as it is spoken: it needs word timestamps"
    with pytest.raises(UsageError, match=f"^{said}"):
        TranscribeOptions(highlight_words=True, word_timestamps=False)
    result = CliRunner().invoke(
        app, ["transcribe", "x.wav", "--highlight-words", "--no-word-timestamps"]
    )
    assert result.exit_code == 2 and f"woasr: error: {said}" in result.stderr
    assert TranscribeOptions(highlight_words=True).word_timestamps is True

"""``run_batch(inputs, ...)``: what a library caller passes as ``inputs``."""

from __future__ import annotations

from pathlib import Path

import pytest

from woasr_cli import TranscribeOptions, run_batch


@pytest.fixture
def options() -> TranscribeOptions:
    return TranscribeOptions(model="tiny.en", formats=("txt",))


def test_one_path_given_as_text_is_one_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: TranscribeOptions
) -> None:
    # run_batch("/data/talk.wav", ...) read its characters as inputs: "/" the whole disk,
    # walked and transcribed into the output folder.
    monkeypatch.chdir(tmp_path)
    gone = [(str(tmp_path / "gone.wav"), "no such file")]
    result = run_batch("gone.wav", options, tmp_path / "out")
    assert result.failures == gone and result.missing == [] and result.done == 0
    assert run_batch(Path("gone.wav"), options, tmp_path / "out").failures == gone


def test_an_iterator_of_inputs_loses_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: TranscribeOptions
) -> None:
    # A generator (Path.glob, a query) was read three times: the first input went to the
    # first pass and was never transcribed.
    monkeypatch.chdir(tmp_path)
    result = run_batch(iter(["a.wav", "b.wav"]), options, tmp_path / "out")
    assert sorted(result.failures) == [
        (str(tmp_path / "a.wav"), "no such file"),
        (str(tmp_path / "b.wav"), "no such file"),
    ]

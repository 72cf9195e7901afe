"""CTC forced alignment: the trellis on a known answer, and a real (tiny, random) model loaded
from a local directory the way a user passes --align-model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinymodels import build_ctc_model
from woasr_cli.errors import ModelNotFound
from woasr_cli.options import TranscribeOptions
from woasr_cli.processing.alignment import backtrack, load_aligner, place_words, trellis
from woasr_cli.transcript import Segment, Word


def test_backtrack_recovers_a_known_path() -> None:
    # 10 frames, vocab {0: blank, 1: a, 2: b}; "a" is loud in frames 2-3, "b" in frames 6-8.
    probs = np.full((10, 3), 0.05)
    probs[:, 0] = 0.9
    probs[2:4] = [0.05, 0.9, 0.05]
    probs[6:9] = [0.05, 0.05, 0.9]
    logp = np.log(probs / probs.sum(axis=1, keepdims=True))
    tokens = [1, 2]
    spans = backtrack(trellis(logp, tokens, 0), logp, tokens, 0)
    assert spans == [(2, 4), (6, 9)]


def test_place_words_interpolates_and_clamps() -> None:
    timed = [(0.5, 1.0, 0.9), None, None, (2.0, 9.0, 0.8), None]
    placed = place_words(timed, 0.0, 3.0)
    assert [round(p[0], 3) for p in placed] == [0.5, 1.0, 1.5, 2.0, 3.0]
    assert [round(p[1], 3) for p in placed] == [1.0, 1.5, 2.0, 3.0, 3.0]
    assert placed[1][2] is None and placed[0][2] == 0.9


def test_no_model_given_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="--align-model"):
        load_aligner(TranscribeOptions(align=True))
    with pytest.raises(ModelNotFound, match=r"no config\.json"):
        load_aligner(TranscribeOptions(align=True, align_model=str(tmp_path)))


@pytest.fixture(scope="module")
def tiny_ctc_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch", reason="alignment needs torch")
    pytest.importorskip("transformers", reason="alignment needs woasr[transformers]")
    letters = "".join(chr(c) for c in range(ord("A"), ord("Z") + 1))
    return build_ctc_model(tmp_path_factory.mktemp("tiny-ctc"), letters)


def test_random_model_keeps_words_ordered_inside_segments(tiny_ctc_model: Path) -> None:
    aligner = load_aligner(TranscribeOptions(align=True, align_model=str(tiny_ctc_model)))
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.normal(size=16000 * 6)).astype(np.float32)
    segments = [
        Segment(
            0.3,
            2.9,
            " Hello world, it's 42!",
            [
                Word(0.3, 0.8, " Hello", 0.9),
                Word(0.8, 1.4, " world,", 0.9),
                Word(1.4, 1.9, " it's", 0.9),
                Word(1.9, 2.9, " 42!", 0.5),  # no alignable character: interpolated
            ],
        ),
        Segment(3.0, 5.5, " and no word times here"),  # words come from the text
        Segment(5.9, 5.95, " tiny"),  # too short for the model: spread evenly
    ]
    out = aligner.align(segments, audio)
    assert len(out) == 3
    assert [w.text for w in out[0].words] == [" Hello", " world,", " it's", " 42!"]
    assert [w.text for w in out[1].words] == ["and", "no", "word", "times", "here"]
    for seg in out:
        assert seg.words
        previous_end = seg.start
        for w in seg.words:
            assert seg.start <= w.start <= w.end <= seg.end
            assert w.start >= previous_end - 1e-9
            previous_end = w.end
    assert out[0].words[3].probability == 0.5  # kept from ASR: nothing of it aligned
    assert out[0].words[0].probability != 0.9  # replaced by the alignment score


def test_loading_the_model_draws_no_progress_bar(
    tiny_ctc_model: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Transformers drew "Loading weights: 100%|...| 37/37" on stderr at every --align run,
    --quiet and --json too; the user's own progress-bar setting is kept."""
    from transformers.utils import logging as hf_logging

    assert hf_logging.is_progress_bar_enabled()
    load_aligner(TranscribeOptions(align=True, align_model=str(tiny_ctc_model)))
    out, err = capfd.readouterr()
    assert "Loading weights" not in err + out and "%|" not in err
    assert hf_logging.is_progress_bar_enabled()


def test_alignment_runs_torch_on_few_threads(
    tiny_ctc_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library caller's ``align`` ran torch on every core: its OpenMP threads stall each other
    wherever a core is taken (aligning a minute with a wav2vec2-base-sized model beside one busy
    process on 2 cores: 28 s against 6 s on one thread). Only the pipeline set this."""
    import torch

    from woasr_cli.processing.alignment import CtcAligner

    seen: set[int] = set()
    log_probs = CtcAligner._log_probs

    def spy(self: CtcAligner, audio: np.ndarray) -> object:
        seen.add(torch.get_num_threads())
        return log_probs(self, audio)

    monkeypatch.setattr(CtcAligner, "_log_probs", spy)
    monkeypatch.setattr("woasr_cli.runtime.usable_cores", lambda: 2)
    aligner = load_aligner(TranscribeOptions(align=True, align_model=str(tiny_ctc_model)))
    audio = np.zeros(16000 * 2, dtype=np.float32)
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # torch's default on 2 cores
    try:
        out = aligner.align([Segment(0.2, 1.8, " hello there")], audio)
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    assert [w.text for w in out[0].words] == ["hello", "there"]
    assert seen == {1}
    assert after == 2

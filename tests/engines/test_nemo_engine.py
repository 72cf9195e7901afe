"""``fast_conformer`` on small NeMo models the test builds (random weights, a character
vocabulary): CTC and transducer, saved as ``.nemo`` files and loaded through the provider;
long input cut into pieces, NeMo's word timestamps placed in the audio, and the CLI end to end.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import write_wav
from tinynemo import LABELS, RNNT_LABELS, build_nemo_ctc, build_nemo_rnnt
from woasr_cli.cli.app import app
from woasr_cli.errors import CapabilityError, ModelNotFound, ProviderUnavailable
from woasr_cli.media import decode_audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers import load_provider
from woasr_cli.providers.nemo_engine import CHUNK_S, split
from woasr_cli.transcript import Segment, Transcript

# Only the top-level package here: importing NeMo's ASR collection takes ~10 s, paid once by
# the first fixture that builds a model rather than by every collection of the test suite.
pytest.importorskip("nemo", reason="needs pip install 'woasr[nemo]'")
torch = pytest.importorskip("torch", reason="needs torch (pip install torch==2.13.0)")

RATE = 16000


@pytest.fixture(scope="module")
def speech(shared_audio: Path) -> np.ndarray:
    """~51 s of real speech with two 2 s pauses: over ``CHUNK_S``, so it is decoded in pieces."""
    pause = np.zeros(2 * RATE, dtype=np.float32)
    clips = ["pyannote_sample.wav", "jfk.wav", "librispeech_1272-128104-0000.wav"]
    parts = [decode_audio(shared_audio / clips[0])]
    for clip in clips[1:]:
        parts += [pause, decode_audio(shared_audio / clip)]
    return np.concatenate(parts)


@pytest.fixture(scope="module")
def ctc_model(tmp_path_factory: pytest.TempPathFactory, speech: np.ndarray) -> Path:
    torch.set_num_threads(1)  # the same sums, so the same decode, from run to run
    return build_nemo_ctc(tmp_path_factory.mktemp("nemo") / "tiny-ctc.nemo", speech)


@pytest.fixture(scope="module")
def rnnt_model(tmp_path_factory: pytest.TempPathFactory, speech: np.ndarray) -> Path:
    torch.set_num_threads(1)
    return build_nemo_rnnt(tmp_path_factory.mktemp("nemo") / "tiny-rnnt.nemo", speech)


def options(model: Path | str, **extra: object) -> TranscribeOptions:
    return TranscribeOptions(provider="fast_conformer", model=str(model), offline=True,
                             **extra)  # type: ignore[arg-type]  # fmt: skip


def transcribe(model: Path | str, audio: np.ndarray) -> list[Segment]:
    opts = options(model)
    segments, lang = load_provider(opts).transcribe(audio, opts)
    assert lang.language is None  # NeMo identifies no language
    return list(segments)


def check_well_formed(segments: list[Segment], duration: float, alphabet: set[str]) -> None:
    starts = [s.start for s in segments]
    assert starts == sorted(starts)
    for seg in segments:
        assert 0.0 <= seg.start <= seg.end <= duration
        assert seg.words and seg.text == " ".join(w.text for w in seg.words)
        for w in seg.words:
            assert seg.start <= w.start <= w.end <= seg.end
            assert w.text.strip() and set(w.text) <= alphabet  # the model's own vocabulary
        assert seg.end - seg.start <= 15.0 + 0.1 or len(seg.words) == 1


def nemo_words(model: Path, audio: np.ndarray) -> list[tuple[str, float, float]]:
    """NeMo's own word timestamps, piece by piece, moved to the pieces' place in ``audio``."""
    from nemo.collections.asr.models import ASRModel

    nemo_model = ASRModel.restore_from(str(model), map_location="cpu")
    out = []
    for offset, piece in split(audio):
        hyp = nemo_model.transcribe([piece], timestamps=True, verbose=False)[0]
        end = offset + len(piece) / RATE
        out += [(" ".join(w["word"].split()), offset + float(w["start"]),
                 min(offset + float(w["end"]), end))
                for w in hyp.timestamp["word"]]  # fmt: skip
    return out


def test_pieces_cover_the_audio_in_order(speech: np.ndarray) -> None:
    pieces = split(speech)
    assert len(pieces) == 2
    position = 0
    for offset, piece in pieces:
        assert offset == position / RATE and 0 < len(piece) <= (CHUNK_S + 1) * RATE
        position += len(piece)
    assert position == len(speech)


@pytest.mark.parametrize("which", ["ctc", "rnnt"])
def test_long_audio_words_are_nemos_placed_in_the_audio(
    which: str, request: pytest.FixtureRequest, speech: np.ndarray
) -> None:
    model: Path = request.getfixturevalue(f"{which}_model")
    segments = transcribe(model, speech)
    duration = len(speech) / RATE
    alphabet = set(LABELS if which == "ctc" else RNNT_LABELS)
    check_well_formed(segments, duration, alphabet)
    assert len(segments) >= 3  # pauses and sentence length split the words into segments
    assert segments[-1].end > CHUNK_S  # the second piece was transcribed too
    words = [w for s in segments for w in s.words]
    expected = nemo_words(model, speech)
    assert [w.text for w in words] == [text for text, _, _ in expected]
    times = [t for w in words for t in (w.start, w.end)]
    assert times == pytest.approx([t for _, start, end in expected for t in (start, end)])


def test_short_and_empty_audio(ctc_model: Path, speech: np.ndarray) -> None:
    # Under 1 s NeMo would pad on both sides and shift times; the provider pads on the right.
    short = speech[RATE : RATE + RATE // 2]
    check_well_formed(transcribe(ctc_model, short), 0.5, set(LABELS))
    assert transcribe(ctc_model, np.zeros(0, dtype=np.float32)) == []


def test_cli_end_to_end(ctc_model: Path, speech: np.ndarray, tmp_path: Path) -> None:
    import srt
    import webvtt

    wav = write_wav(tmp_path / "talk.wav", speech[: 40 * RATE], RATE)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["transcribe", str(wav), "-o", str(out), "--provider", "fast_conformer",
              "--model", str(ctc_model), "-f", "json,srt,vtt"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = json.loads((out / "talk.json").read_text())
    assert doc["provider"] == "fast_conformer" and doc["model"] == str(ctc_model)
    transcript = Transcript.from_dict(doc)
    check_well_formed(transcript.segments, 40.0, set(LABELS))
    assert transcript.segments and transcript.segments[-1].end > CHUNK_S
    cues = list(srt.parse((out / "talk.srt").read_text()))
    assert cues and all(c.start <= c.end for c in cues)
    assert cues[-1].end.total_seconds() <= 40.0
    vtt = webvtt.read(str(out / "talk.vtt"))
    assert len(vtt) == len(cues)


def one_line_exit_2(*args: str) -> str:
    result = CliRunner().invoke(app, ["transcribe", *args, "--provider", "fast_conformer"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("woasr: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_missing_corrupt_and_offline_models_are_one_line(
    tmp_path: Path, speech: np.ndarray
) -> None:
    wav = write_wav(tmp_path / "a.wav", speech[:RATE], RATE)
    out = str(tmp_path / "out")
    line = one_line_exit_2(str(wav), "-o", out, "--model", str(tmp_path / "nope.nemo"))
    assert "no NeMo model file" in line and "nope.nemo" in line
    bad = tmp_path / "bad.nemo"
    bad.write_text("not a NeMo archive")
    with pytest.raises(ModelNotFound, match="cannot load NeMo model"):
        load_provider(options(bad))
    # An archive whose config does not parse: a yaml ParserError traceback, exit 1.
    import tarfile

    (tmp_path / "model_config.yaml").write_text("foo: [\n")
    broken = tmp_path / "broken.nemo"
    with tarfile.open(broken, "w:gz") as tar:
        tar.add(tmp_path / "model_config.yaml", arcname="model_config.yaml")
    with pytest.raises(ModelNotFound, match=r"cannot load NeMo model .*\(ParserError\)$"):
        load_provider(options(broken))
    # The default model is a pretrained name: offline and not in the hub cache.
    line = one_line_exit_2(str(wav), "-o", out, "--offline")
    assert "offline" in line and "nvidia/stt_en_fastconformer_transducer_large" in line
    assert ".nemo" in line


def test_pretrained_name_found_in_the_hub_cache_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ctc_model: Path, speech: np.ndarray
) -> None:
    from huggingface_hub import constants

    # The layout huggingface_hub gives a downloaded file: refs/main -> snapshots/<sha>/file.
    repo = tmp_path / "hub" / "models--acme--tiny-ctc"
    snapshot = repo / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    (snapshot / "tiny-ctc.nemo").write_bytes(ctc_model.read_bytes())
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    segments = transcribe("acme/tiny-ctc", speech[: 5 * RATE])
    check_well_formed(segments, 5.0, set(LABELS))
    with pytest.raises(ModelNotFound, match="'acme/other' is not in the local hub cache"):
        load_provider(options("acme/other"))


def test_translate_is_refused_before_loading(ctc_model: Path) -> None:
    with pytest.raises(CapabilityError, match="cannot translate"):
        load_provider(options(ctc_model, task="translate"))


def test_broken_nemo_import_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ctc_model: Path
) -> None:
    # An installed NeMo whose ASR collection cannot import (a dependency missing or broken).
    monkeypatch.setitem(sys.modules, "nemo.collections.asr", None)
    copy = tmp_path / "other.nemo"  # a model not loaded yet in this process
    copy.write_bytes(ctc_model.read_bytes())
    with pytest.raises(ProviderUnavailable) as err:
        load_provider(options(copy))
    message = str(err.value)
    assert message.startswith("provider 'fast_conformer' needs: pip install 'woasr[nemo]'")
    assert "import failed" in message and "\n" not in message


def test_a_language_and_a_compute_type_are_refused_before_loading(tmp_path: Path) -> None:
    # -l ko was written into the transcript as its language; --compute-type float16 ignored.
    missing = tmp_path / "not-loaded.nemo"
    with pytest.raises(CapabilityError, match=r"cannot be told a language \(--language ko\)"):
        load_provider(options(missing, language="ko"))
    with pytest.raises(CapabilityError, match="cannot run --compute-type float16"):
        load_provider(options(missing, compute_type="float16"))

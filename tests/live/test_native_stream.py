"""Live streams through a cache-aware NeMo FastConformer (``providers.nemo_streaming``,
``live.native``), on small cache-aware models the test builds (random weights, characters):
the words are NeMo's own cache-aware decoding of the stream, however the audio arrives, and
the processor, ``woasr listen`` and the WebSocket route stream such a model natively."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import write_wav
from tinynemo import build_nemo_ctc, build_nemo_hybrid_bpe, build_nemo_rnnt
from woasr_cli.media import decode_audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.transcript import Word

pytest.importorskip("nemo", reason="needs pip install 'woasr[nemo]'")
torch = pytest.importorskip("torch", reason="needs torch (pip install torch==2.13.0)")

RATE = 16000
KINDS = ["ctc", "rnnt", "hybrid", "hybrid-ctc"]
# The "multi" model's look-aheads (80 ms encoder frames) and their attention contexts, its
# default first, as NVIDIA's *_streaming_multi models are trained with several.
LOOKAHEADS = {320: [15, 4], 160: [15, 2], 0: [15, 0]}


@pytest.fixture(scope="module")
def speech(shared_audio: Path) -> np.ndarray:
    """~23 s: jfk, a 2 s pause, then 10 s of pyannote_sample's telephone talk."""
    pyannote = decode_audio(shared_audio / "pyannote_sample.wav")[: 10 * RATE]
    pause = np.zeros(2 * RATE, dtype=np.float32)
    return np.concatenate([decode_audio(shared_audio / "jfk.wav"), pause, pyannote])


@pytest.fixture(scope="module")
def models(
    tmp_path_factory: pytest.TempPathFactory, speech: np.ndarray, references: dict[str, str]
) -> dict[str, Path]:
    torch.set_num_threads(1)  # the same sums, so the same decode, from run to run
    folder = tmp_path_factory.mktemp("nemo-streaming")
    hybrid = build_nemo_hybrid_bpe(folder / "hybrid.nemo", speech, "\n".join(references.values()))
    return {
        "ctc": build_nemo_ctc(folder / "ctc.nemo", speech, streaming=True),
        "rnnt": build_nemo_rnnt(folder / "rnnt.nemo", speech, streaming=True),
        "hybrid": hybrid,
        "hybrid-ctc": hybrid,  # the same model with its CTC decoder chosen (model_of)
        "offline": build_nemo_ctc(folder / "offline.nemo", speech),
        "multi": build_nemo_ctc(folder / "multi.nemo", speech, streaming=True,
                                contexts=list(LOOKAHEADS.values())),
    }  # fmt: skip


def load(path: Path) -> Any:
    from woasr_cli.providers.nemo_engine import load as load_nemo

    return load_nemo(TranscribeOptions(provider="fast_conformer", model=str(path), offline=True))


def model_of(kind: str, models: dict[str, Path]) -> Any:
    if kind != "hybrid-ctc":
        return load(models[kind])._model
    from nemo.collections.asr.models import ASRModel

    model = ASRModel.restore_from(str(models[kind]), map_location="cpu")  # not the shared one
    model.change_decoding_strategy(decoder_type="ctc", verbose=False)
    return model.eval()


def nemo_reference(model: Any, audio: np.ndarray, context: list[int] | None = None) -> str:
    """NeMo's own cache-aware loop (its example script's): features of the whole audio, then
    ``conformer_stream_step`` chunk by chunk with the caches carried; ``context``: with that
    attention context set as the default (its ``--att_context_size``), then put back."""
    default = list(model.encoder.att_context_size)
    model.encoder.set_default_att_context_size(context or default)
    try:
        return _nemo_loop(model, audio)
    finally:
        model.encoder.set_default_att_context_size(default)


def _nemo_loop(model: Any, audio: np.ndarray) -> str:
    from nemo.collections.asr.parts.utils.streaming_utils import CacheAwareStreamingAudioBuffer

    model.encoder.setup_streaming_params()
    buffer = CacheAwareStreamingAudioBuffer(model=model, online_normalization=False)
    buffer.append_audio(audio)
    channel, time_cache, channel_len = model.encoder.get_initial_cache_state(batch_size=1)
    hypotheses = predictions = texts = None
    with torch.inference_mode():
        for step, (chunk, lengths) in enumerate(buffer):
            drop = 0 if step == 0 else model.encoder.streaming_cfg.drop_extra_pre_encoded
            predictions, texts, channel, time_cache, channel_len, hypotheses = (
                model.conformer_stream_step(
                    processed_signal=chunk, processed_signal_length=lengths,
                    cache_last_channel=channel, cache_last_time=time_cache,
                    cache_last_channel_len=channel_len, keep_all_outputs=buffer.is_buffer_empty(),
                    previous_hypotheses=hypotheses, previous_pred_out=predictions,
                    drop_extra_pre_encoded=drop, return_transcription=True,
                )
            )  # fmt: skip
    assert texts is not None
    first = texts[0]
    return str(getattr(first, "text", first))


def streamed(
    model: Any, audio: np.ndarray, blocks: list[int], lookahead_ms: int | None = None
) -> list[Word]:
    from woasr_cli.providers.nemo_streaming import CacheAwareStream

    stream = CacheAwareStream(model, lookahead_ms)
    words: list[Word] = []
    pos = turn = 0
    while pos < len(audio):
        size = blocks[turn % len(blocks)]
        words += stream.accept(audio[pos : pos + size])
        pos, turn = pos + size, turn + 1
    return words + stream.finish()


def ws_stream(client: Any, pcm: bytes, config: dict[str, Any]) -> tuple[list[Any], int]:
    """``pcm`` through ``/v1/stream`` in 200 ms frames after ``config``: the events the server
    sent and its close code."""
    from starlette.websockets import WebSocketDisconnect

    events = []
    with client.websocket_connect("/v1/stream") as ws:
        ws.send_text(json.dumps({"sample_rate": RATE, **config}))
        for pos in range(0, len(pcm), 6400):
            ws.send_bytes(pcm[pos : pos + 6400])
        ws.send_text(json.dumps({"type": "end"}))
        try:
            while True:
                events.append(json.loads(ws.receive_text()))
        except WebSocketDisconnect as closed:
            return events, int(closed.code)
    raise AssertionError("the server did not close the stream")


def letters(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("kind", KINDS)
def test_the_words_are_nemos_cache_aware_decoding_and_the_tail_is_kept(
    kind: str, models: dict[str, Path], speech: np.ndarray
) -> None:
    model = model_of(kind, models)
    words = streamed(model, speech, [3200])
    reference = letters(nemo_reference(model, speech))
    said = letters(" ".join(w.text for w in words))
    assert reference, "the random model says nothing: the comparison would be empty"
    # NeMo's loop drops a last chunk too short for the subsampling; the stream decodes it.
    assert said.startswith(reference) and len(said) - len(reference) <= 3, (said, reference)
    assert all(w.text and w.start < w.end for w in words)
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    assert words[-1].end <= len(speech) / RATE + 0.2


@pytest.mark.parametrize("kind", KINDS)
def test_how_the_audio_arrives_does_not_change_the_words(
    kind: str, models: dict[str, Path], speech: np.ndarray
) -> None:
    model = model_of(kind, models)
    at_once = streamed(model, speech, [len(speech)])
    assert at_once == streamed(model, speech, [1600])  # 100 ms frames
    assert at_once == streamed(model, speech, [4000, 1234, 160, 9999])  # uneven, some tiny


@pytest.mark.parametrize("kind", ["rnnt", "hybrid"])
def test_a_model_shared_with_file_transcription_streams_the_same_before_and_after(
    kind: str, models: dict[str, Path], speech: np.ndarray
) -> None:
    provider = load(models[kind])  # the cached model: one a server's pool shares
    options = TranscribeOptions(provider="fast_conformer", model=str(models[kind]), offline=True)

    def offline() -> list[str]:
        return [s.text for s in provider.transcribe(speech, options)[0]]

    streams = [streamed(provider._model, speech, [3200])]
    files = [offline()]  # NeMo turns on timestamps for good: streams then failed in NeMo
    streams.append(streamed(provider._model, speech, [3200]))
    files.append(offline())
    assert streams[0] and streams[0] == streams[1]
    assert files[0] and files[0] == files[1]


def test_a_model_without_a_cache_aware_encoder_is_re_transcribed(
    models: dict[str, Path], speech: np.ndarray
) -> None:
    from woasr_cli.live.native import NativeStreamProcessor
    from woasr_cli.live.processor import StreamProcessor
    from woasr_cli.live.setup import open_processor

    def opened(path: Path) -> object:
        return open_processor(TranscribeOptions(provider="fast_conformer", model=str(path),
                                                offline=True))  # fmt: skip

    assert load(models["offline"]).open_stream() is None
    assert isinstance(opened(models["rnnt"]), NativeStreamProcessor)
    processor = opened(models["offline"])
    assert isinstance(processor, StreamProcessor)
    # Its passes mid-utterance (a narrower beam where an engine has one) run on an engine
    # without beam search: they raised "has no beam search" at the first one.
    events = []
    for pos in range(0, 11 * RATE, 3200):  # jfk, 200 ms frames
        events += processor.feed(speech[pos : pos + 3200])
    events += processor.finish()
    assert processor.passes >= 5
    assert [e for e in events if e.type == "final" and e.words]


def test_the_processor_commits_each_word_once_and_shows_the_one_being_said(
    models: dict[str, Path], speech: np.ndarray
) -> None:
    from woasr_cli.live.processor import StreamConfig
    from woasr_cli.live.setup import open_processor

    options = TranscribeOptions(provider="fast_conformer", model=str(models["ctc"]), offline=True)
    processor = open_processor(options, StreamConfig(vad=False))  # every frame to the model
    events = []
    for pos in range(0, len(speech), 3200):  # 200 ms frames
        events += processor.feed(speech[pos : pos + 3200])
    events += processor.finish()
    finals = [w for e in events if e.type == "final" for w in e.words]
    assert finals == streamed(load(models["ctc"])._model, speech, [3200])
    assert all(a.end <= b.start for a, b in itertools.pairwise(finals))
    partials = [e for e in events if e.type == "partial"]
    assert partials and all(len(e.words) <= 1 for e in partials)
    # a partial is the start of the word the next final commits
    for event in (e for e in partials if e.words):
        later = [w for w in finals if w.start == event.words[0].start]
        assert later and later[0].text.startswith(event.text), event
    assert processor.received == len(speech)


def test_listen_writes_the_streamed_words_to_files_that_parse(
    models: dict[str, Path], speech: np.ndarray, tmp_path: Path
) -> None:
    import srt
    import webvtt

    from woasr_cli.cli.app import app

    wav = write_wav(tmp_path / "talk.wav", speech, RATE)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["listen", "--file", str(wav), "--json", "-o", str(out), "--provider",
              "fast_conformer", "-m", str(models["rnnt"]), "--offline", "--no-vad"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    said = " ".join(e["text"] for e in events if e["type"] == "final")
    expected = streamed(load(models["rnnt"])._model, speech, [len(speech)])
    assert said.split() == [w.text for w in expected]
    doc = json.loads((out / "talk.json").read_text(encoding="utf-8"))
    assert doc["provider"] == "fast_conformer"
    assert letters(doc["text"]) == letters(said)
    cues = list(srt.parse((out / "talk.srt").read_text(encoding="utf-8")))
    assert cues and len(webvtt.read(str(out / "talk.vtt")).captions) == len(cues)
    assert letters((out / "talk.txt").read_text(encoding="utf-8")) == letters(said)


def test_the_websocket_route_streams_such_a_model(
    models: dict[str, Path], speech: np.ndarray
) -> None:
    pytest.importorskip("fastapi", reason="needs pip install 'woasr[serve]'")
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from woasr_cli.live.processor import StreamConfig
    from woasr_cli.live.ws import stream_router

    options = TranscribeOptions(provider="fast_conformer", model=str(models["ctc"]), offline=True)
    app = FastAPI()
    app.include_router(stream_router(options, max_streams=1, config=StreamConfig(vad=False)))
    pcm = (np.clip(speech, -1, 1) * 32767).astype("<i2").tobytes()
    events, code = ws_stream(TestClient(app), pcm, {})
    assert code == 1000
    said = [w["text"] for e in events if e["type"] == "final" for w in e["words"]]
    received = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768  # what the server heard
    assert said == [w.text for w in streamed(load(models["ctc"])._model, received, [3200])]


@pytest.mark.parametrize("lookahead_ms", sorted(LOOKAHEADS))
def test_each_look_ahead_the_model_was_trained_with_streams_as_nemo_streams_it(
    lookahead_ms: int, models: dict[str, Path], speech: np.ndarray
) -> None:
    model = load(models["multi"])._model
    words = streamed(model, speech, [3200], lookahead_ms)
    reference = letters(nemo_reference(model, speech, LOOKAHEADS[lookahead_ms]))
    said = letters(" ".join(w.text for w in words))
    assert reference, "the random model says nothing: the comparison would be empty"
    assert said.startswith(reference) and len(said) - len(reference) <= 3, (said, reference)
    assert model.encoder.att_context_size == [15, 4]  # the model's own, as it was


def test_streams_of_different_look_ahead_share_a_model_with_file_transcription(
    models: dict[str, Path], speech: np.ndarray
) -> None:
    from woasr_cli.providers.nemo_streaming import CacheAwareStream

    provider = load(models["multi"])
    options = TranscribeOptions(provider="fast_conformer", model=str(models["multi"]),
                                offline=True)  # fmt: skip

    def offline() -> list[str]:
        return [s.text for s in provider.transcribe(speech, options)[0]]

    file_text = offline()
    alone = {ms: streamed(provider._model, speech, [3200], ms) for ms in (320, 0)}
    assert alone[320] != alone[0], "the look-ahead changes nothing: the test would prove nothing"
    assert offline() == file_text
    streams = {ms: CacheAwareStream(provider._model, ms) for ms in alone}
    words: dict[int, list[Word]] = {ms: [] for ms in alone}
    for turn, pos in enumerate(range(0, len(speech), 3200)):  # the streams' steps interleave
        for ms, stream in streams.items():
            words[ms] += stream.accept(speech[pos : pos + 3200])
        if turn == 40:  # a file transcribed on the same model mid-stream
            assert offline() == file_text
    for ms, stream in streams.items():
        words[ms] += stream.finish()
    assert words == alone
    assert offline() == file_text
    assert provider._model.encoder.att_context_size == [15, 4]


def test_a_look_ahead_is_refused_where_the_model_has_none_such(
    models: dict[str, Path], speech: np.ndarray, tmp_path: Path
) -> None:
    from woasr_cli.cli.app import app
    from woasr_cli.errors import CapabilityError
    from woasr_cli.providers.nemo_streaming import CacheAwareStream

    with pytest.raises(CapabilityError, match=r"look-ahead of 320, 160 or 0 ms"):
        CacheAwareStream(load(models["multi"])._model, 500)
    wav = write_wav(tmp_path / "talk.wav", speech[: 6 * RATE], RATE)

    def listen(model: str, lookahead: int) -> Any:
        return CliRunner().invoke(app, ["listen", "--file", str(wav), "--json", "--provider",
                                        "fast_conformer", "-m", str(models[model]), "--offline",
                                        "--lookahead-ms", str(lookahead), "--no-vad"])  # fmt: skip

    chosen = listen("multi", 0)
    assert chosen.exit_code == 0, chosen.stderr
    finals = [json.loads(line) for line in chosen.stdout.splitlines()]
    said = [w["text"] for e in finals if e["type"] == "final" for w in e["words"]]
    audio = decode_audio(wav)
    assert said == [w.text for w in streamed(load(models["multi"])._model, audio, [len(audio)], 0)]
    for model, lookahead, why in [
        ("multi", 500, "this model streams with a look-ahead of 320, 160 or 0 ms"),
        ("rnnt", 0, "this model streams with a look-ahead of 160 ms"),
        ("offline", 0, "only a cache-aware streaming model"),
    ]:
        refused = listen(model, lookahead)
        assert refused.exit_code == 2, refused.stdout
        assert refused.stderr.count("\n") == 1 and why in refused.stderr, refused.stderr
        assert refused.stdout == ""


def test_the_websocket_route_takes_a_look_ahead_and_refuses_one_the_model_lacks(
    models: dict[str, Path], speech: np.ndarray
) -> None:
    pytest.importorskip("fastapi", reason="needs pip install 'woasr[serve]'")
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from woasr_cli.live.processor import StreamConfig
    from woasr_cli.live.ws import stream_router

    options = TranscribeOptions(provider="fast_conformer", model=str(models["multi"]),
                                offline=True)  # fmt: skip
    app = FastAPI()
    app.include_router(stream_router(options, max_streams=1, config=StreamConfig(vad=False)))
    audio = speech[: 6 * RATE]
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()

    client = TestClient(app)
    events, code = ws_stream(client, pcm, {"lookahead_ms": 0})
    assert code == 1000
    said = [w["text"] for e in events if e["type"] == "final" for w in e["words"]]
    received = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
    assert said == [w.text for w in streamed(load(models["multi"])._model, received, [3200], 0)]
    for bad, why in [(500, "320, 160 or 0 ms"), ("0", "lookahead_ms must be a whole number")]:
        events, code = ws_stream(client, pcm, {"lookahead_ms": bad})
        assert code == 1007
        assert events[-1]["type"] == "error" and why in events[-1]["message"], events


@pytest.fixture(scope="module")
def paused(shared_audio: Path) -> tuple[np.ndarray, float]:
    """jfk, 20 s of silence, then 10 s of pyannote_sample; and when that speech resumes."""
    jfk = decode_audio(shared_audio / "jfk.wav")
    later = decode_audio(shared_audio / "pyannote_sample.wav")[: 10 * RATE]
    return np.concatenate([jfk, np.zeros(20 * RATE, np.float32), later]), len(jfk) / RATE + 20


def gated_run(path: Path, audio: np.ndarray, vad: bool) -> tuple[Any, list[tuple[int, Word]]]:
    """The processor over ``audio`` in 200 ms frames; each final word with the samples fed
    when it came."""
    from woasr_cli.live.processor import StreamConfig
    from woasr_cli.live.setup import open_processor

    options = TranscribeOptions(provider="fast_conformer", model=str(path), offline=True)
    processor = open_processor(options, StreamConfig(vad=vad))
    finals: list[tuple[int, Word]] = []
    for pos in range(0, len(audio), 3200):
        events = processor.feed(audio[pos : pos + 3200])
        finals += [(pos + 3200, w) for e in events if e.type == "final" for w in e.words]
    finals += [(len(audio), w) for e in processor.finish() if e.type == "final" for w in e.words]
    return processor, finals


def test_a_voice_gate_passes_speech_and_maps_its_times_back(speech: np.ndarray) -> None:
    from woasr_cli.live.gate import VoiceGate
    from woasr_cli.live.vad import FRAME

    class Script:  # speech probabilities by the second: 1 s speech, 5 s silence, 1 s speech
        def __init__(self) -> None:
            self.frames = 0

        def __call__(self, frames: np.ndarray) -> np.ndarray:
            at = (self.frames + np.arange(len(frames))) * FRAME / RATE
            self.frames += len(frames)
            return np.where((at < 1.0) | ((at >= 6.0) & (at < 7.0)), 0.9, 0.0).astype(np.float32)

    gate = VoiceGate(1.0, pre_roll=0.3, vad=Script())  # type: ignore[arg-type]
    audio = np.arange(8 * RATE, dtype=np.float32)  # each sample's value is where it was
    passed = np.concatenate(
        [gate.feed(audio[pos : pos + 1234]) for pos in range(0, len(audio), 1234)]
    )
    passed = np.concatenate([passed, gate.finish()])
    assert gate.passed == len(passed) and gate.received == len(audio)
    where = passed.astype(np.int64)
    # speech, the hang-over, a pre-roll of whole frames before the speech that resumes, and
    # its speech with its own hang-over to the end; nothing of the silence between
    gap = np.flatnonzero(np.diff(where) != 1)
    assert len(gap) == 1
    assert 2.0 <= where[gap[0]] / RATE < 2.0 + 2 * FRAME / RATE  # speech + 1 s hang-over
    assert 5.7 - FRAME / RATE <= where[gap[0] + 1] / RATE <= 5.7 + FRAME / RATE
    assert where[-1] == len(audio) - 1
    for k in range(0, len(passed), 997):
        assert gate.real_time(k / RATE) == pytest.approx(where[k] / RATE, abs=1e-6)


def test_with_the_voice_gate_a_pause_costs_no_steps_and_words_keep_the_streams_times(
    models: dict[str, Path], paused: tuple[np.ndarray, float]
) -> None:
    audio, resume = paused
    gated, gated_words = gated_run(models["ctc"], audio, vad=True)
    plain, plain_words = gated_run(models["ctc"], audio, vad=False)
    chunk_s = 3 * 0.08  # the model's chunk: its look-ahead of 2 frames + 1
    assert plain.passes - gated.passes >= (20 - 2.0) / chunk_s
    before = [(fed, w) for fed, w in gated_words if w.start < resume - 1]
    after = [w for _, w in gated_words if w.start >= resume - 1]
    assert before and after and len(before) + len(after) == len(gated_words)
    # the words before the pause were final before the speech resumed (not held by the gate)
    assert all(fed <= resume * RATE for fed, _ in before)
    # the words after it are at their times in the stream: the model's clock stood still
    assert all(resume - 0.5 <= w.start < w.end <= len(audio) / RATE + 0.2 for w in after)
    assert all(a.end <= b.start for a, b in itertools.pairwise([*[w for _, w in before], *after]))
    assert gated.received == plain.received == len(audio)
    assert plain_words  # the ungated processor streams the same audio to the end


def test_with_the_voice_gate_room_tone_reaches_no_model_and_gives_no_text(
    models: dict[str, Path], shared_audio: Path
) -> None:
    tone = decode_audio(shared_audio / "negative" / "room_tone_8s.wav")
    gated, words = gated_run(models["ctc"], tone, vad=True)
    assert gated.passes == 0 and words == []
    plain, _ = gated_run(models["ctc"], tone, vad=False)
    assert plain.passes >= 8 / (3 * 0.08) - 2  # without it, every chunk is encoded


def test_when_the_gate_shuts_the_word_being_said_is_final() -> None:
    """A model still inside a word when the hang-over ends (a word it never closed) would hold
    that word until speech resumed, however long the pause: the gate's shutting ends it."""
    from woasr_cli.live.gate import VoiceGate
    from woasr_cli.live.native import NativeStreamProcessor
    from woasr_cli.live.vad import FRAME

    class Stream:  # one word, begun and never ended by the model
        steps = 0
        final_within_s = 0.5

        def __init__(self) -> None:
            self.word = [Word(0.2, 0.6, "hello")]
            self.heard = 0  # samples accepted
            self.ended_at: list[int] = []

        @property
        def pending(self) -> list[Word]:
            return self.word

        def accept(self, audio: np.ndarray) -> list[Word]:
            self.heard += len(audio)
            return []

        def end_word(self) -> list[Word]:
            self.ended_at.append(self.heard)
            done, self.word = self.word, []
            return done

        def finish(self) -> list[Word]:
            return self.end_word()

    class Speech:  # speech in the first second and from 3 s to 3.5 s
        frames = 0

        def __call__(self, frames: np.ndarray) -> np.ndarray:
            at = (self.frames + np.arange(len(frames))) * FRAME / RATE
            self.frames += len(frames)
            return np.where((at < 1.0) | ((at >= 3) & (at < 3.5)), 0.9, 0.0).astype(np.float32)

    def run(block: int) -> tuple[list[tuple[int, str]], Stream]:
        stream = Stream()
        processor = NativeStreamProcessor(stream, TranscribeOptions(), vad=False)
        processor.gate = VoiceGate(0.7, pre_roll=0.0, vad=Speech())  # type: ignore[arg-type]
        finals = []
        for pos in range(0, 5 * RATE, block):
            events = processor.feed(np.zeros(block, np.float32))
            finals += [(pos + block, w.text) for e in events if e.type == "final" for w in e.words]
        return finals, stream

    finals, stream = run(1600)
    assert finals == [(28800, "hello")]  # at 1.8 s: 1 s of speech, 0.7 s of hang-over
    # shut and open again within one block: the word ends where the gate shut
    finals, stream = run(5 * RATE)
    assert finals == [(5 * RATE, "hello")]
    # 1.728 s passed before the first shut, then 3.008-4.224 s before the second
    assert stream.ended_at == [27648, 27648 + 19456]


def test_a_stream_on_a_server_of_another_provider_asks_for_this_one(
    models: dict[str, Path], speech: np.ndarray
) -> None:
    """`woasr serve`'s /v1/stream runs the server's provider (faster_whisper); its config had
    no `provider`, so a cache-aware model could not be streamed natively through it, though
    docs/live.md and the README say so: the .nemo path was handed to faster_whisper."""
    pytest.importorskip("fastapi", reason="needs pip install 'woasr[serve]'")
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from woasr_cli.live.processor import StreamConfig
    from woasr_cli.live.ws import stream_router

    app = FastAPI()
    server = TranscribeOptions(model="tiny.en", offline=True)  # as woasr serve's defaults
    app.include_router(stream_router(server, max_streams=1, config=StreamConfig(vad=False)))
    pcm = (np.clip(speech, -1, 1) * 32767).astype("<i2").tobytes()
    asked = {"provider": "fast_conformer", "model": str(models["ctc"])}
    events, code = ws_stream(TestClient(app), pcm, asked)
    assert code == 1000, events
    said = [w["text"] for e in events if e["type"] == "final" for w in e["words"]]
    received = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
    assert said == [w.text for w in streamed(load(models["ctc"])._model, received, [3200])]
    events, code = ws_stream(TestClient(app), pcm[:6400], {"provider": "nope"})
    assert code == 1007 and "unknown provider 'nope'" in events[-1]["message"]

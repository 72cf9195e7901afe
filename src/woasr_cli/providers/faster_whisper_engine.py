"""The default engine: Whisper on CTranslate2 through faster-whisper."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from woasr_cli.errors import ModelNotFound, UsageError
from woasr_cli.media.audio import Audio
from woasr_cli.models import resolve_ct2_model
from woasr_cli.models.cache import cached
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import LanguageInfo
from woasr_cli.providers.devices import ctranslate2_cuda, pick_device
from woasr_cli.providers.english_only import check_english_only
from woasr_cli.providers.faster_whisper_options import transcribe_kwargs
from woasr_cli.providers.model_heads import TINY, TINY_EN, Heads, alignment_heads
from woasr_cli.providers.sequential_speech import joined_speech, restored
from woasr_cli.providers.speech_chunks import VAD_PAD_MS
from woasr_cli.providers.speech_onsets import timed_as_decoded
from woasr_cli.providers.whisper_words import segment_text, whisper_words
from woasr_cli.providers.word_lag import word_lag_s
from woasr_cli.runtime import usable_cores
from woasr_cli.transcript import Segment

if TYPE_CHECKING:
    from woasr_cli.providers.faster_whisper_batch import CrossFileDecoder

log = logging.getLogger(__name__)

DEFAULT_MODEL = "base"  # multilingual: the language is detected per file


def pick_compute_type(requested: str, device: str) -> str:
    if requested != "default":
        return requested
    return "float16" if device == "cuda" else "int8"


BATCHED_WINDOW_S = 300.0
# CTranslate2's CPU threads with the model on a GPU: 16 on a 16-core H100 host spun 291 CPU-s for
# a 50 s run of the 60-minute recording, 4 took 142 CPU-s and 47 s (docs/performance.md).
GPU_HOST_THREADS = 4
# Threads that cut a file's next windows into speech chunks (Silero VAD, on the CPU) while the
# GPU decodes: the file's thread ran VAD and the GPU's batches by turns, VAD a third of the wall
# of the 60-minute recording on an H200; with 2 cutters the GPU still waited 3.2 s of 14.5 s
# for them, 4 took the hour 16.0/15.3 -> 11.9/13.8 s, 8 no better (docs/performance.md). On
# the CPU the cores decode.
GPU_CUT_AHEAD = 4
# Threads computing a GPU batch's log-mel features side by side (faster-whisper computes them
# one chunk after the other on the thread the GPU waits for: 1.5 s of the hour on an H200).
GPU_FEATURE_THREADS = 4
# CTranslate2's random generator, for the samples of temperature fallback (reproducible runs).
SAMPLING_SEED = 17


class FasterWhisperProvider:
    name = "faster_whisper"

    def __init__(
        self,
        model: Any,
        model_name: str,
        batch_size: int,
        pack: bool = False,
        parallel: int = 1,
        word_lag_s: float = 0.0,
        heads: Heads | None = None,
    ) -> None:
        # Seconds its word times lag the speech: a file's transcript (pipeline.py) takes them
        # this much earlier; live streaming, whose commit rules were measured on the engine's
        # own times, does not.
        self.word_lag_s = word_lag_s
        self._model = model
        self.model_name = model_name
        self.batch_size = batch_size
        self.multilingual = bool(model.model.is_multilingual)
        self._batched: CrossFileDecoder | None = None
        # On a GPU the file's thread drives the batches: VAD, log-mel features and audio
        # decoding are moved off it (cutter, feature and reader threads, below).
        device = str(model.model.device)
        on_gpu = device == "cuda"
        cut_ahead = GPU_CUT_AHEAD if on_gpu and batch_size > 1 else 0
        if batch_size > 1:
            from woasr_cli.providers import faster_whisper_batch as fwb

            detect = (
                fwb.model_language_detector(model)
                if self.multilingual
                else lambda _: LanguageInfo("en", 1.0)
            )
            timestamps = timestamp_tokens(device, pack, heads)
            decode = fwb.pipeline_decoder(
                model,
                _convert,
                share_slots=pack,
                timestamps=timestamps,
                feature_threads=GPU_FEATURE_THREADS if on_gpu else 0,
            )
            self._batched = fwb.CrossFileDecoder(
                decode,
                detect,
                batch_size,
                parallel,
                cut_ahead=cut_ahead,
                word_lag_s=word_lag_s,
                # (a slot of its own: chunks sharing a slot would share their language)
                hears_languages=self.multilingual and not pack,
                # (the encoder's input fitted to each batch's chunks: CPU, no timestamp tokens)
                encoder_group=None if on_gpu or timestamps else fwb.encoder_seconds,
            )
        # Windows of a file decoded from its media ahead of the one being handed over, on a
        # reader thread (pipeline.py): on a GPU the file's thread drives the batches, and
        # decoding the audio there (1.5 s of the hour on an H200) kept the GPU waiting.
        self.read_ahead = 1 if cut_ahead else 0
        # Files a process should keep in flight: enough to fill its batches from short files.
        self.concurrent_files = batch_size * parallel if batch_size > 1 else 1
        # Windows of a file: long enough that VAD fills their 30 s chunks (a 60 s window left a
        # part-filled chunk per window, each a full 30 s of encoder: 30 slots for 10 minutes
        # of speech where 24 do at 300 s, docs/performance.md), and as many queued as fill
        # every batch slot, plus one cut ahead (lookahead.py): a window's rests are decoded
        # after its chunks, by when both threads have drained the next window's, and with
        # only that one in flight the cores waited on the VAD of the one after (~1 s at each
        # window boundary; docs/performance.md, "Long recordings", x17).
        self.window_seconds = BATCHED_WINDOW_S if batch_size > 1 else None
        chunks_per_window = max(1, int(BATCHED_WINDOW_S // 30))
        # (and on a GPU one more than the windows cut ahead)
        wanted = -(-batch_size * parallel // chunks_per_window) + 2
        self._windows_wanted = max(wanted, cut_ahead + 1)

    def window_depth(self) -> int:
        """Windows one file keeps in flight: the process's share, split between its files."""
        if self._batched is None:
            return 1
        active = max(1, self._batched.batcher.active)
        return max(1, -(-self._windows_wanted // active))

    def encoder_window(self, pad: float | None) -> AbstractContextManager[None]:
        """Passes on this thread within the block encode their audio plus ``pad`` seconds, not
        30 s (sequential decoding only; live passes over short buffers: encoder_window.py)."""
        from woasr_cli.providers.encoder_window import encoder_window

        return encoder_window(pad if self._batched is None else None)

    def pass_languages(
        self, audio: Audio, options: TranscribeOptions
    ) -> list[tuple[str, float]] | None:
        """Language codes and probabilities (most likely first) of one sequential pass over
        ``audio`` (``options.vad`` off: a live pass), from the encoder output that transcribing
        it next on this thread, in a language chosen from them, reuses (shared_encoding.py);
        None where there is nothing to detect or no pass to share it with."""
        if not self.multilingual or self._batched is not None or options.vad is not False:
            return None
        from woasr_cli.providers.shared_encoding import detect

        return detect(self._model, audio)

    def close(self) -> None:
        """Wait for batches still inside the engine (those of files that were stopped)."""
        if self._batched is not None:
            self._batched.batcher.settle()

    def file_session(self) -> AbstractContextManager[None]:
        """Held by each thread while it works on a file, so batches wait for its chunks."""
        return self._batched.batcher.client() if self._batched else nullcontext()

    def check(self, options: TranscribeOptions) -> None:
        """Refuse options this loaded model cannot honour (before any work is queued)."""
        check_english_only(self.model_name, self.multilingual, options)

    def transcribe(
        self, audio: Audio, options: TranscribeOptions
    ) -> tuple[Iterator[Segment], LanguageInfo]:
        self.check(options)
        if self._batched is not None:
            return self._batched.transcribe(audio, options)
        if options.vad is False:
            raw, language, spoken = self._sequential(audio, options)
            return _converted(raw, spoken), language
        # The speech found and joined here, as faster-whisper's vad_filter does, so that its
        # silences are known (sequential_speech.py).
        speech = joined_speech(audio)
        if not speech.spans:
            return iter(()), LanguageInfo(options.language, 1.0 if options.language else None)
        raw, language, spoken = self._sequential(speech.audio, options)
        found = _converted(restored(raw, speech.spans), spoken)
        timed = timed_as_decoded(found, speech.gaps, VAD_PAD_MS / 1000, self.word_lag_s)
        return timed, language

    def _sequential(
        self, audio: Audio, options: TranscribeOptions
    ) -> tuple[Iterator[Any], LanguageInfo, dict[int, str]]:
        """faster-whisper's sequential decoding of ``audio``, lazily, its language, and the
        segments (by id, filled as they are decoded) heard in another.

        Told none, a multilingual model's language is read off the encoder output that the
        first window's decoding then reuses (shared_encoding.py): faster-whisper's own detection
        runs the encoder over that window once more (0.8 CPU-s a file with ``base`` on 2 cores).
        A detected language is the file's, and each 30 s window is decoded in its own where
        that is clearly another (slot_language.py), as batched decoding does per slot."""
        spoken: dict[int, str] = {}
        if not self.multilingual or not (options.language is None or options.language_detected):
            raw, info = self._model.transcribe(
                audio, **transcribe_kwargs(options), vad_filter=False
            )
            return iter(raw), LanguageInfo(info.language, info.language_probability), spoken
        from woasr_cli.providers.shared_encoding import detect
        from woasr_cli.providers.slot_language import by_window, installed, opening_language

        if options.language is None:
            language, probability = opening_language(self._model, audio, detect(self._model, audio))
            told = options.with_changes(language=language)
        else:  # detected on the file's earlier windows
            language, probability, told = options.language, 1.0, options
        languages = installed(self._model)
        raw, _ = self._model.transcribe(
            audio, **transcribe_kwargs(told), vad_filter=False, multilingual=True
        )

        def segments() -> Iterator[Any]:
            for segment, other in by_window(raw, languages, language):
                if other is not None:
                    spoken[segment.id] = other
                yield segment

        return segments(), LanguageInfo(language, probability), spoken


def _converted(raw: Iterable[Any], spoken: dict[int, str]) -> Iterator[Segment]:
    """faster-whisper's segments as woasr's, each marked with the language it was decoded in
    where ``spoken`` has one (another than the file's)."""
    for seg in raw:
        converted = _convert(seg)
        if converted is not None:
            converted.language = spoken.get(seg.id)
            yield converted


def _convert(seg: Any) -> Segment | None:
    """faster-whisper's segment as woasr's; None when it has nothing to read
    (whisper_words.segment_text)."""
    pieces = [
        (float(w.start), float(w.end), str(w.word), float(w.probability)) for w in (seg.words or [])
    ]
    text = segment_text(pieces, str(seg.text))
    if text is None:
        return None
    words = whisper_words(pieces, text)
    return Segment(
        start=float(seg.start),
        end=float(seg.end),
        text=text,
        words=words,
        avg_logprob=float(seg.avg_logprob),
        no_speech_prob=float(seg.no_speech_prob),
    )


def default_threads(workers: int) -> int:
    return max(1, usable_cores() // max(1, workers))


def cpu_layout(options: TranscribeOptions, batch_size: int, device: str) -> tuple[int, int]:
    """(CTranslate2 threads per batch, batches side by side) for this process.

    Batched on CPU: one thread per batch and as many batches at once as this process's share of
    the cores, all on one copy of the weights (CTranslate2 shares them between its workers);
    CTranslate2 uses a second thread on tiny.en's matrices far worse than a second batch.
    Sequential decoding: the process's share of the cores as threads for its one stream.
    On a GPU: one batch at a time and at most ``GPU_HOST_THREADS`` threads."""
    workers = options.workers or 1
    if device == "cuda":
        return options.threads or min(GPU_HOST_THREADS, default_threads(workers)), 1
    if batch_size > 1 and device == "cpu":
        threads = options.threads or 1
        return threads, max(1, usable_cores() // (workers * threads))
    return options.threads or default_threads(workers), 1


def load(options: TranscribeOptions) -> FasterWhisperProvider:
    name = options.model or DEFAULT_MODEL
    cache_dir = Path(options.model_cache_dir) if options.model_cache_dir else None
    location = resolve_ct2_model(name, cache_dir, offline=options.offline)
    device = pick_device(options.device, ctranslate2_cuda, "CTranslate2")
    try:
        model, batch_size, parallel = _load_on(device, name, location.path, options)
    except GpuUnusable as exc:
        if options.device == "cuda":
            raise UsageError(f"--device cuda: {exc}") from None
        # --device auto: the GPU is there but CTranslate2 cannot run on it; the CPU can.
        log.warning("%s; using the CPU", exc)
        model, batch_size, parallel = _load_on("cpu", name, location.path, options)
    return FasterWhisperProvider(
        model,
        name,
        batch_size,
        pack=options.pack,
        parallel=parallel,
        word_lag_s=word_lag_s(location.path),
        heads=alignment_heads(location.path),
    )


class GpuUnusable(Exception):
    """CTranslate2 sees a GPU but cannot run this model on it (its CUDA libraries are missing)."""


def _load_on(
    device: str, name: str, path: Path, options: TranscribeOptions
) -> tuple[Any, int, int]:
    """(model, batch size, batches side by side) on ``device``, the model shared by the process."""
    compute_type = pick_compute_type(options.compute_type, device)
    batch_size = options.batch_size or default_batch_size(device)
    threads, parallel = cpu_layout(options, batch_size, device)

    def build() -> Any:
        import ctranslate2
        from faster_whisper import WhisperModel

        # Temperature fallback samples (a window that fails Whisper's checks at temperature 0,
        # as pyannote_sample's last one does): seeded, the same file gives the same transcript
        # in every run, not "Hello." in one and "Hi." in the next.
        ctranslate2.set_random_seed(SAMPLING_SEED)
        try:
            model = WhisperModel(
                str(path),
                device=device,
                compute_type=compute_type,
                cpu_threads=threads,
                num_workers=parallel,
            )
        except (RuntimeError, ValueError) as exc:
            raise ModelNotFound(f"cannot load model '{name}' from {path}: {exc}") from None
        if device == "cuda":
            check_gpu_runs(model.model)
        return model

    key = ("faster_whisper", str(path), device, compute_type, threads, parallel)
    return cached(key, build), batch_size, parallel


def check_gpu_runs(whisper: Any) -> None:
    """Encode one window of silence on the GPU (as faster-whisper's first pass would, 30 s of
    features): CTranslate2 loads a model on a GPU whose CUDA libraries it cannot open (its CUDA
    12 build on a CUDA 13 machine, say) and fails only at the first encoder pass, "Library
    libcublas.so.12 is not found or cannot be loaded"."""
    import ctranslate2
    import numpy as np

    silence = np.zeros((1, int(whisper.n_mels), 3000), dtype=np.float32)
    try:
        whisper.encode(ctranslate2.StorageView.from_array(silence))
    except RuntimeError as exc:
        if "cannot be loaded" not in str(exc) and "not found" not in str(exc):
            raise
        raise GpuUnusable(
            f"CTranslate2 cannot run on this GPU: {exc}. Its CUDA build needs CUDA 12's cuBLAS and "
            "cuDNN 9 on the library path (pip install nvidia-cublas-cu12 nvidia-cudnn-cu12, then "
            "add their lib folders to LD_LIBRARY_PATH), or use --device cpu"
        ) from None


# Models whose batched decoding keeps Whisper's timestamp tokens on the CPU (model_heads.py).
TIMESTAMPS_ON_CPU: frozenset[Heads] = frozenset({TINY_EN, TINY})


def timestamp_tokens(device: str, pack: bool, heads: Heads | None = None) -> bool:
    """Whether batched decoding has Whisper emit its timestamp tokens.

    Words are timed from cross-attention either way (segments are then cut into sentences at
    the words that end one), and without the tokens a batch decodes ~13 % fewer. Measured with
    benchmarks/long_recording.py --quick, per model (docs/performance.md, "Long recordings"):
    multilingual ``base`` on the CPU, int8: 10-minute recording 64.5 -> 54.3 CPU s with WER
    0.064 -> 0.065, mixed folder 97.8 -> 80.5 CPU s with WER 0.090 -> 0.077, and more of the
    second language kept in files that change language (benchmarks/languages.py); on an H200,
    float16, a batch's cost about halved (11.1 -> 5.4 s) with WER 0.065 -> 0.064 and 0.090 ->
    0.073. ``tiny.en`` on the CPU: recording 32.1 -> 33.7 CPU s, folder 36.1 -> 29.7, and words
    lost (WER 0.078 -> 0.081, folder 0.082 -> 0.087; w17d found telephone speech misread, "Neither
    did I" -> "I needed to design"), so tiny models keep them there (multilingual ``tiny`` by the
    same size, not measured: no offline weights). Models not recognised decode without them, as
    ``base`` does. Chunks of several files sharing one 30 s input (``--pack``) need them to be
    told apart."""
    return pack or (device != "cuda" and heads in TIMESTAMPS_ON_CPU)


def default_batch_size(device: str) -> int:
    """Speech chunks decoded together, from several files at once (faster_whisper_batch).

    On CPU too: batches filled across files decode a folder of short clips ~1.4x faster than one
    stream per worker (docs/performance.md). Four is as fast as eight on 2 cores and holds half
    the encoder's attention memory (8 x 6 heads x 1500^2 floats = 430 MB at eight)."""
    return 8 if device == "cuda" else 4

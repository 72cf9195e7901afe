"""``Transcriber``: the engines loaded once, then any number of files or arrays through them.

This is the unit of work every front end shares (the batch runner, the server, Ray workers,
live streaming)::

    from woasr_cli import TranscribeOptions, Transcriber, render

    with Transcriber(TranscribeOptions(model="tiny.en", diarize=True)) as transcriber:
        for path in ["a.wav", "b.mp4"]:
            transcript = transcriber.transcribe(path)
            print(render(transcript, ["srt"])["srt"])

Threads: when ``concurrent`` is true (batched faster-whisper, the default), several threads may
call :meth:`Transcriber.transcribe` at once and their speech is decoded together in shared
batches. Other engines are not safe to drive from several threads; their calls are taken one
at a time (callers still may call from several threads, they just wait their turn).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from woasr_cli.errors import InputError, UsageError
from woasr_cli.media.audio import Audio, as_samples
from woasr_cli.options import TranscribeOptions
from woasr_cli.pipeline import FileHooks, Resume, postprocess, transcribe_audio, transcribe_file
from woasr_cli.policy import prepare
from woasr_cli.providers.base import Provider, check_options, concurrent_files, file_session
from woasr_cli.runtime import limit_blas_threads, release_memory, tune_allocator
from woasr_cli.transcript import Segment, Transcript

if TYPE_CHECKING:
    from woasr_cli.processing.alignment import Aligner
    from woasr_cli.processing.diarization import Diarizer

ProgressCallback = Callable[[float, float | None], None]
Checkpoint = Callable[[list[Segment], float], None]
_LOADED = ("provider", "model", "device", "compute_type", "threads", "batch_size", "pack")


class Transcriber:
    """Loads the provider (and the aligner and diarizer when the options ask for them) once.

    Raises ``UsageError``/``CapabilityError`` for options the provider cannot honour and
    ``ProviderUnavailable``/``ModelNotFound`` when its extra or model is missing, before any
    file is touched.
    """

    def __init__(self, options: TranscribeOptions, *, provider: Provider | None = None) -> None:
        self.options = prepare(options)
        tune_allocator()
        limit_blas_threads()
        if provider is None:
            from woasr_cli.providers.registry import load_provider

            provider = load_provider(self.options)
        # what the loaded model cannot honour (a language an English-only or CTC model lacks)
        # fails here, before an aligner or diarizer loads
        check_options(provider, self.options)
        self.provider: Provider = provider
        self.aligner: Aligner | None = None
        self.diarizer: Diarizer | None = None
        if self.options.align:
            from woasr_cli.processing.alignment import load_aligner

            self.aligner = load_aligner(self.options)
        if self.options.diarize:
            from woasr_cli.processing.diarization import load_diarizer

            self.diarizer = load_diarizer(self.options)
        self.concurrent = concurrent_files(self.provider) > 1
        self._asr_turn = threading.Lock()  # engines that cannot share: one call at a time
        self._post_turn = threading.Lock()  # aligner and diarizer: one file at a time

    @property
    def concurrent_files(self) -> int:
        """How many files it pays to have in flight at once (1 unless the engine batches)."""
        return concurrent_files(self.provider)

    def transcribe(
        self,
        source: str | Path | Audio,
        *,
        on_progress: ProgressCallback | None = None,
        resume: Resume | None = None,
        checkpoint: Checkpoint | None = None,
        should_stop: Callable[[], bool] | None = None,
        options: TranscribeOptions | None = None,
        on_language: Callable[[str], None] | None = None,
        on_language_detected: Callable[[str, float | None], None] | None = None,
    ) -> Transcript:
        """Transcribe a media file (any container FFmpeg reads) or 16 kHz mono float32 samples.

        ``on_progress(done_seconds, total_seconds)`` follows the audio; ``checkpoint`` receives
        each finished window's segments (absolute times) so a caller can persist them, and
        ``resume`` continues an earlier, interrupted run from the window where they stopped,
        giving what an uninterrupted run gives. ``options``
        overrides per call what does not need another model (language, prompt, beam, ...).
        Raises ``Interrupted`` once ``should_stop()`` turns true (at the next segment).
        ``on_language(language)`` and ``on_language_detected(language, probability)`` are
        called once the language is detected: a caller that resumes keeps both in its
        ``Resume``, so the resumed transcript names them as an uninterrupted run does.
        """
        run_options = self._per_call(options)
        if isinstance(source, str) and not source:  # Path("") is the current folder
            raise InputError("an empty path: give a media file")
        if not isinstance(source, (str, Path)):
            source = as_samples(source)  # int16, float64, a list...; refused with a reason
        try:
            return self._transcribe(
                source, run_options, resume, FileHooks(
                    checkpoint=checkpoint,
                    on_language=on_language,
                    on_language_detected=on_language_detected,
                    on_progress=on_progress,
                    on_window_done=release_memory,
                    should_stop=should_stop or (lambda: False),
                ),
            )  # fmt: skip
        except InputError as exc:  # "no such file" says which, to a library caller
            if isinstance(source, (str, Path)) and exc.path is None:
                exc.path = str(source)
            raise

    def _transcribe(
        self,
        source: str | Path | Audio,
        run_options: TranscribeOptions,
        resume: Resume | None,
        hooks: FileHooks,
    ) -> Transcript:
        with self._asr_slot():
            if isinstance(source, (str, Path)):
                transcript = transcribe_file(
                    Path(source), self.provider, run_options, resume=resume, hooks=hooks
                )
            else:
                transcript = transcribe_audio(
                    source, self.provider, run_options, resume=resume, hooks=hooks
                )
        if not (run_options.align or run_options.diarize):
            return transcript
        with self._post_turn:
            if isinstance(source, (str, Path)):
                from woasr_cli.media import decode_audio
                from woasr_cli.providers.speech_presence import speech_spans

                audio = decode_audio(  # as ASR heard it
                    Path(source), speech=speech_spans, track=run_options.audio_track
                )
            else:
                audio = source
            return postprocess(
                transcript, audio, run_options, aligner=self.aligner, diarizer=self.diarizer
            )

    def close(self) -> None:
        """Wait for work still inside the engines, then drop them (their memory goes back once
        nothing else holds them). Call it before the process exits."""
        close = getattr(self.provider, "close", None)
        if close is not None:
            close()
        self.aligner = None
        self.diarizer = None
        release_memory()

    def __enter__(self) -> Transcriber:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _asr_slot(self) -> AbstractContextManager[object]:
        if self.concurrent:
            return file_session(self.provider)
        return self._asr_turn

    def _per_call(self, options: TranscribeOptions | None) -> TranscribeOptions:
        if options is None:
            return self.options
        options = prepare(options)
        for name in _LOADED:
            if getattr(options, name) != getattr(self.options, name):
                raise UsageError(
                    f"a Transcriber loaded for {name}={getattr(self.options, name)!r} cannot run "
                    f"{name}={getattr(options, name)!r}: make another Transcriber"
                )
        if (options.align and not self.options.align) or (
            options.diarize and not self.options.diarize
        ):
            raise UsageError("alignment and diarization must be asked for when loading")
        return options

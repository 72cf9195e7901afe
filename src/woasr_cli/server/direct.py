"""One request, one file, answered in the request (the OpenAI-compatible routes).

It runs on the same shared model and under the same slots as the job queue, so its speech
chunks are batched with the jobs', queued ahead of theirs (the client waits; a job's long file
keeps three windows of chunks queued); it keeps no manifest: the client holds the request open.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from woasr_cli.model_pool import ModelPool
from woasr_cli.options import TranscribeOptions
from woasr_cli.pipeline import FileHooks, transcribe_file
from woasr_cli.policy import prepare
from woasr_cli.providers.base import file_session
from woasr_cli.providers.batcher import ahead_of_others
from woasr_cli.transcript import Segment, Transcript

STREAM_WINDOW_S = 30.0  # shorter windows when streaming: the first text comes sooner


def transcribe_now(
    models: ModelPool,
    path: Path,
    options: TranscribeOptions,
    *,
    on_segments: Callable[[list[Segment]], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    window_s: float | None = None,
) -> Transcript:
    def checkpoint(segments: list[Segment], done_seconds: float) -> None:
        del done_seconds
        if segments and on_segments is not None:
            on_segments(segments)

    if window_s is None:
        with (
            models.use(options, should_stop=should_stop) as loaded,
            loaded.slots,
            ahead_of_others(),
        ):
            return loaded.transcriber.transcribe(
                path, options=options, checkpoint=checkpoint, should_stop=should_stop
            )
    # Shorter windows than the Transcriber's, so that streamed text starts sooner: the
    # pipeline itself, on the Transcriber's engine, with the same per-file session.
    # Each segment as it is decoded (checkpoints come a whole window at a time).
    on_segment = None if on_segments is None else (lambda seg: on_segments([seg]))
    hooks = FileHooks(on_segment=on_segment, should_stop=should_stop)
    options = prepare(options)
    with (
        models.use(options, should_stop=should_stop) as loaded,
        loaded.slots,
        file_session(loaded.provider),
        ahead_of_others(),
    ):
        return transcribe_file(path, loaded.provider, options, hooks=hooks, window_s=window_s)

"""woasr's library API on a folder: one model for every file, progress as it goes.

    python examples/python_api.py MEDIA_DIR OUT_DIR

The same as ``woasr transcribe MEDIA_DIR -o OUT_DIR -f srt,json``, written out: ``run_batch``
records every file in OUT_DIR/.woasr-manifest.db, so running it again skips finished files and
resumes interrupted ones. See docs/api.md.
"""

from __future__ import annotations

import sys

from woasr_cli import Event, TranscribeOptions, WoasrError, run_batch


def show(event: Event) -> None:
    """Called for every batch event, from the threads that do the work."""
    if event.kind == "progress" and event.duration:
        print(f"  {event.input}: {100 * (event.done_seconds or 0) / event.duration:3.0f}%")
    elif event.kind in ("done", "skipped"):
        print(f"{event.kind:8} {event.input} -> {', '.join(event.outputs)}")
    elif event.kind == "failed":
        print(f"failed   {event.input}: {event.reason}", file=sys.stderr)


def main(media: str, out: str) -> int:
    try:
        options = TranscribeOptions(formats=("srt", "json"))  # a bad value fails here, early
        result = run_batch([media], options, out, reporter=show)
    except WoasrError as exc:  # unusable options, missing model or extra
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{result.done} done, {result.skipped} skipped, {result.failed} failed")
    return 1 if result.failed or result.missing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)  # a usage error, as woasr's own exit codes say
    sys.exit(main(sys.argv[1], sys.argv[2]))

"""A finished job's files brought up to date from its own transcript, without the model.

What a job's files look like beyond the transcript (line width, lines per cue, cue length,
highlighted words, ...: :class:`~woasr_cli.formats.options.FormatOptions`) never changes what
was heard, so it is not part of the options fingerprint that decides whether a job is done.
The manifest records instead, per output file, the layout it was written with
(:func:`layout_key`). A rerun that asks for another layout, a format not written yet, or finds
a file deleted, needs only the transcript: while the job's own JSON output is there, the files
are rendered again from it, as ``woasr convert`` does, and the model is not run again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

from woasr_cli.formats import LAID_OUT
from woasr_cli.formats.options import FormatOptions
from woasr_cli.jobs.job import Job
from woasr_cli.transcript import Transcript

__all__ = ["layout_key", "outdated", "own_transcript"]


def layout_key(options: FormatOptions, fmt: str) -> str:
    """A short stable key of the layout a file of format ``fmt`` is written in: equal
    options, equal key; "" for a format the options do not shape (txt, json, ...)."""
    if fmt not in LAID_OUT:
        return ""
    text = json.dumps(asdict(options), sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def outdated(job: Job, wanted: Mapping[str, str], layouts: Mapping[str, str]) -> list[str]:
    """The files a finished job has to write, of ``wanted`` (path -> layout key): never
    written by it, gone since, or written in another layout. A file whose layout was not
    recorded (a manifest from before layouts were) counts as current."""
    written = set(job.outputs)
    return [
        path
        for path, key in wanted.items()
        if path not in written or not Path(path).is_file() or layouts.get(path, key) != key
    ]


def own_transcript(job: Job) -> Transcript | None:
    """The transcript in the JSON file the job wrote, if it is still there and reads as the
    transcript of this job's input; None otherwise (the model has to run again)."""
    for name in job.outputs:
        path = Path(name)
        if path.suffix != ".json" or not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            source = data.get("source") if isinstance(data, dict) else None
            if not isinstance(source, str) or os.path.abspath(source) != job.input_path:
                return None  # another input's transcript written over it since
            return Transcript.from_dict(data)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None  # edited, truncated, not ours any more
    return None

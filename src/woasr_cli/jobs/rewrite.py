"""A finished job's files brought up to date from its own transcript, without the model.

What a job's files look like beyond the transcript (line width, lines per cue, cue length,
highlighted words, ...: :class:`~woasr_cli.formats.options.FormatOptions`) never changes what
was heard, so it is not part of the options fingerprint that decides whether a job is done.
The manifest records instead, per output file, the layout it was written with
(:func:`layout_key`), and keeps the transcript itself, compressed (:func:`packed`; about a
quarter of its JSON). A rerun that asks for another layout, a format not written yet, or finds
a file deleted, needs only the transcript: the files are rendered again from the job's JSON
output where it is still there (edits made to it included), else from the manifest's copy, as
``woasr convert`` does, and the model is not run again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zlib
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

from woasr_cli import json_text
from woasr_cli.formats import LAID_OUT
from woasr_cli.formats.options import FormatOptions
from woasr_cli.jobs.job import Job
from woasr_cli.transcript import Transcript

__all__ = ["layout_key", "outdated", "own_transcript", "packed"]


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


def own_transcript(job: Job, kept: str | None) -> Transcript | None:
    """The job's transcript: from the JSON file it wrote, if that is still there and reads as
    the transcript of this job's input, else from ``kept`` (:func:`packed`, the manifest's
    copy); None when neither reads (the model has to run again)."""
    for name in job.outputs:
        path = Path(name)
        if path.suffix != ".json" or not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            source = data.get("source") if isinstance(data, dict) else None
            if isinstance(source, str) and os.path.abspath(source) == job.input_path:
                return Transcript.from_dict(data)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass  # edited, truncated, not ours any more
    if kept is None:
        return None
    try:
        return Transcript.from_dict(json.loads(zlib.decompress(base64.b64decode(kept))))
    except (ValueError, TypeError, KeyError, AttributeError, zlib.error):
        return None


def packed(transcript: Transcript) -> str:
    """The transcript as the manifest keeps it: its JSON, compressed, as text."""
    text = json_text.dumps(transcript.to_dict(), separators=(",", ":"))
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")

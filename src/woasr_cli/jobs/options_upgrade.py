"""Jobs fingerprinted before an option counted, recognised as the same work.

``--compute-type`` changes the words (int8 and float32 do not decode alike), so a compute type
asked for counts in the options fingerprint (:class:`~woasr_cli.options.TranscribeOptions`);
it did not before. A manifest written then by runs that asked for one (``--compute-type int8``
in a script, ``WOASR_COMPUTE_TYPE``) holds fingerprints without it: the same command would
transcribe every finished file again after an upgrade. The compute type each job ran with is in
its recorded options (job metadata ``options``); where it is the one asked now, the job's
fingerprint is brought up to date and the job is what it was (done stays done, an interrupted
one keeps its checkpoints). Runs that asked for none are not concerned: their fingerprint
never changed.
"""

from __future__ import annotations

import json
from dataclasses import replace

from woasr_cli.jobs.manifest import Manifest
from woasr_cli.options import TranscribeOptions

DEFAULT_COMPUTE_TYPE = "default"


def bring_up_to_date(manifest: Manifest, input_path: str, options: TranscribeOptions) -> None:
    """Give the job of ``input_path`` these options' fingerprint where it is the same work
    fingerprinted before the compute type counted."""
    if options.compute_type == DEFAULT_COMPUTE_TYPE:
        return  # the fingerprint is the one it always was
    job = manifest.job_at(input_path)
    fingerprint = options.fingerprint()
    if job is None or job.options_fp == fingerprint:
        return
    before = replace(options, compute_type=DEFAULT_COMPUTE_TYPE).fingerprint()
    if job.options_fp != before:
        return  # other options: it runs again
    try:
        recorded = json.loads(manifest.meta(job.id).get("options", "{}"))
    except ValueError:
        return
    if isinstance(recorded, dict) and recorded.get("compute_type") == options.compute_type:
        manifest.restamp(job.id, before, fingerprint)

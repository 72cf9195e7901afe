"""What a manifest's finished jobs hold: which input each output file belongs to, and which
media were transcribed with which options.

Within one run the layout (:mod:`woasr_cli.jobs.layout`) keeps inputs apart. Across runs into
one folder it cannot: ``woasr transcribe media/a -o subs`` and later ``woasr transcribe media/b
-o subs``, each folder holding an ``x.wav``, both want ``subs/x.*``. The second run wrote over
the first's files, and a rerun of the first then skipped it as done, its files holding the
other's transcript. :meth:`FinishedWork.taken` finds such files before anything is written.

The same media under another name (a file or folder renamed or moved, a copy) has the same
content fingerprint; :meth:`FinishedWork.same_media` finds the finished job of it, whose
transcript is written out again instead of running the model.

Read once per batch (one query), and kept up to date with what the batch itself hands over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from woasr_cli.jobs.manifest import Job, Manifest


@dataclass(frozen=True)
class Taken:
    """Output files of another input's finished job that a job of this batch would write."""

    owner: Job
    paths: tuple[str, ...]


class FinishedWork:
    def __init__(self, manifest: Manifest) -> None:
        self._manifest = manifest
        self._owners: dict[str, Job] | None = None
        self._by_media: dict[tuple[str, str], Job] = {}

    def _load(self) -> dict[str, Job]:
        if self._owners is None:
            # In the order they finished: a file two jobs list (a manifest from before this
            # check) belongs to the one that wrote it last.
            done = self._manifest.done_jobs()
            self._owners = {path: job for job in done for path in job.outputs}
            self._by_media = {(j.content_fp, j.options_fp): j for j in done if j.content_fp}
        return self._owners

    def taken(
        self, input_path: str, content_fp: str, options_fp: str, paths: Iterable[str]
    ) -> Taken | None:
        """The first other input whose finished job lists any of ``paths`` as its own; None
        when there is none, or when it is the same media transcribed with the same options
        (its files would be written again as they are)."""
        owners = self._load()
        found: dict[int, tuple[Job, list[str]]] = {}
        for path in paths:
            owner = owners.get(path)
            if owner is None or owner.input_path == input_path:
                continue
            if (owner.content_fp, owner.options_fp) == (content_fp, options_fp):
                continue
            found.setdefault(owner.id, (owner, []))[1].append(path)
        if not found:
            return None
        owner, taken = next(iter(found.values()))
        return Taken(owner, tuple(taken))

    def hand_over(self, taken: Taken, to: Job) -> None:
        """``taken``'s files go to ``to``: off the owner's outputs in the manifest."""
        self._manifest.disown(taken.owner.id, taken.paths)
        owners = self._load()
        for path in taken.paths:
            owners[path] = to

    def same_media(self, input_path: str, content_fp: str, options_fp: str) -> Job | None:
        """A finished job of another input with this content and these options."""
        self._load()
        job = self._by_media.get((content_fp, options_fp))
        return job if job is not None and job.input_path != input_path else None

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

A batch of many inputs reads the finished jobs once (one query), and keeps that up to date
with what the batch itself hands over. A batch of a few (``woasr serve`` runs each file as a
batch of one) asks the manifest about each input's own file names and media instead: reading
every finished job, each output's real path looked up, cost a server 0.2 s a file after
1,500 files and 5 s after 50,000, growing for as long as it ran. The names find the same
owners: an output is a file woasr renamed into place, so its last component is no link.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from woasr_cli.jobs.manifest import Job, Manifest

FEW = 16  # inputs in a batch up to which each is looked up on its own


@dataclass(frozen=True)
class Taken:
    """Output files of another input's finished job that a job of this batch would write
    (``paths`` as that job lists them); ``orphaned``: that input is gone (deleted, or replaced
    by a file of another name: talk.wav converted to talk.mp3), so its files are not kept from
    the input that now takes its place."""

    owner: Job
    paths: tuple[str, ...]
    orphaned: bool


class FinishedWork:
    """Paths are compared as the files they name (``os.path.realpath``): ``-o ./o/../o``, a
    symlinked output folder, or an input reached once through a symlinked folder and once by
    its real path, are the same files and the same input."""

    def __init__(self, manifest: Manifest, inputs: int | None = None) -> None:
        self._manifest = manifest
        self._owners: dict[str, tuple[Job, str]] | None = None
        self._by_media: dict[tuple[str, str], Job] = {}
        # ``inputs``: how many the batch has; up to FEW, each is looked up on its own.
        self._lookup = inputs is not None and inputs <= FEW
        self._handed: dict[str, tuple[Job, str]] = {}  # files handed over in this batch
        self._folders: dict[str, str] = {}  # each folder's real path, looked up once

    def _real(self, path: str) -> str:
        """``os.path.realpath(path)``, its folder's looked up once a batch: a batch of
        thousands of files in a few folders resolved each folder for each of its files'
        names, an lstat a folder deep, six names a file."""
        folder, name = os.path.split(path)
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = os.path.realpath(folder)
        joined = os.path.join(real, name)
        return (
            os.path.realpath(joined)
            if name in ("", ".", "..") or os.path.islink(joined)
            else joined
        )

    def _load(self) -> dict[str, tuple[Job, str]]:
        if self._owners is None:
            # In the order they finished: a file two jobs list (a manifest from before this
            # check) belongs to the one that wrote it last.
            done = self._manifest.done_jobs()
            self._owners = {self._real(path): (job, path) for job in done for path in job.outputs}
            self._by_media = {(j.content_fp, j.options_fp): j for j in done if j.content_fp}
        return self._owners

    def _owners_of(self, paths: list[str]) -> dict[str, tuple[Job, str]]:
        """Owners by real path: every finished job's files, or (looking up) those of the jobs
        with files of these names, with what this batch has handed over on top."""
        if not self._lookup:
            return self._load()
        names = {os.path.basename(p) for p in paths} | {
            os.path.basename(self._real(p)) for p in paths
        }
        done = self._manifest.done_with_outputs_named(names)
        owners = {self._real(path): (job, path) for job in done for path in job.outputs}
        owners.update(self._handed)
        return owners

    def taken(
        self, input_path: str, content_fp: str, options_fp: str, paths: Iterable[str]
    ) -> Taken | None:
        """The first other input whose finished job lists any of ``paths`` as its own; None
        when there is none, or when it is the same media transcribed with the same options
        (its files would be written again as they are)."""
        paths = list(paths)
        owners = self._owners_of(paths)
        me = self._real(input_path)
        found: dict[int, tuple[Job, list[str]]] = {}
        for path in paths:
            owner, listed = owners.get(self._real(path), (None, ""))
            if owner is None or self._real(owner.input_path) == me:
                continue
            if (owner.content_fp, owner.options_fp) == (content_fp, options_fp):
                continue
            found.setdefault(owner.id, (owner, []))[1].append(listed)
        if not found:
            return None
        owner, taken = next(iter(found.values()))
        return Taken(owner, tuple(taken), orphaned=not os.path.lexists(owner.input_path))

    def hand_over(self, taken: Taken, to: Job) -> None:
        """``taken``'s files go to ``to``: off the owner's outputs in the manifest."""
        self._manifest.disown(taken.owner.id, taken.paths)
        owners = self._handed if self._lookup else self._load()
        for path in taken.paths:
            owners[self._real(path)] = (to, path)

    def same_media(self, input_path: str, content_fp: str, options_fp: str) -> Job | None:
        """A finished job of another input with this content and these options."""
        if not content_fp:
            return None
        if self._lookup:
            job = self._manifest.last_done_of(content_fp, options_fp)
        else:
            self._load()
            job = self._by_media.get((content_fp, options_fp))
        return (
            job
            if job is not None and self._real(job.input_path) != self._real(input_path)
            else None
        )


def written_meanwhile(
    manifest: Manifest, job: Job, paths: Iterable[str], content_fp: str, options_fp: str
) -> Job | None:
    """Another input's job that finished into ``paths`` after this batch looked (a second
    ``woasr transcribe`` into the same folder at the same time): the check of
    :meth:`FinishedWork.taken` again, just before ``job`` writes, for those files only."""
    wanted = list(paths)
    spellings = {*wanted, *map(_real, wanted)}
    me = _real(job.input_path)
    for other in manifest.owners_of(spellings, besides=job.id):
        same_media = (other.content_fp, other.options_fp) == (content_fp, options_fp)
        if _real(other.input_path) != me and not same_media:
            return other
    return None


def _real(path: str) -> str:
    return os.path.realpath(path)

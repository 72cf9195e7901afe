"""How a batch names its inputs to a person: relative to the folder they all share.

``woasr status`` listed a batch's inputs that way (``inputs in /srv/media`` over ``a/x.wav``)
while ``woasr transcribe``'s lines gave each file's absolute path: one rule, here, for both.
The shared folder is the deepest one that holds every input; where that is the file system's
root (inputs from all over), or the paths cannot be compared, names are the full paths.

A batch's events carry the name (``Event.name``) beside the absolute path (``Event.input``,
what scripts reading ``--json`` match on); its ``batch_started`` carries the folder
(``Event.inputs_dir``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from woasr_cli.events import Event, Reporter


def common_folder(paths: Iterable[str | Path]) -> Path | None:
    """The deepest folder that holds every one of ``paths``; None for none, or for the root."""
    parents = [str(Path(p).parent) for p in paths]
    if not parents:
        return None
    try:
        common = Path(os.path.commonpath(parents))
    except ValueError:  # mixed absolute/relative or drives
        return None
    return None if common == Path(common.anchor) else common


def relative_name(path: str | Path, base: Path | None) -> str:
    """``path`` relative to ``base`` (as it is where ``base`` is None or does not hold it)."""
    if base is None:
        return str(path)
    try:
        return str(Path(path).relative_to(base))
    except ValueError:
        return str(path)


def naming(reporter: Reporter, paths: Iterable[str | Path]) -> Reporter:
    """``reporter``, given each event of a batch of these inputs with its input's name (the
    full path where they share no folder: every file event has one)."""
    base = common_folder(paths)

    def named(event: Event) -> None:
        if event.kind == "batch_started" and event.inputs_dir is None and base is not None:
            event = replace(event, inputs_dir=str(base))
        elif event.input is not None and event.name is None:
            event = replace(event, name=relative_name(event.input, base))
        reporter(event)

    return named

"""A content fingerprint of an input file that stays fast on files of many gigabytes.

The fingerprint is a BLAKE2b hash of the file size, the first and last 1 MiB and
:data:`SAMPLES` evenly spaced 64 KiB blocks in between; a file no larger than all of that
together is hashed whole. It reads at most ~2.5 MiB, whatever the file's size.

Trade-off: modification times are left out on purpose — ``touch``, ``cp`` and a sync tool
change them without changing the audio, and a rerun must not redo hours of work for that.
What the sampling can miss is an edit that keeps the size and falls entirely between the
sampled blocks of a file over ~2.5 MiB. Media files rarely change that way: re-encoding,
trimming or re-muxing changes the size or the container header/trailer, which are always
read. ``--force`` is the answer for the rest.
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

from woasr_cli.errors import InputError
from woasr_cli.media.filekind import open_regular

EDGE = 1 << 20  # bytes hashed at each end of the file
BLOCK = 64 << 10  # bytes per sampled block in the middle
SAMPLES = 8
VERSION = "v1"  # bump when the recipe changes, so old fingerprints never match new ones


def fingerprint_file(path: Path | str) -> str:
    """Return ``"v1:<hex>"`` for the file's content; :class:`InputError` if it cannot be read."""
    try:
        # Never a blocking open: a FIFO in a media folder would hang the batch before it starts.
        with os.fdopen(open_regular(path), "rb") as f:
            size = os.fstat(f.fileno()).st_size
            digest = hashlib.blake2b(digest_size=16)
            digest.update(size.to_bytes(8, "little"))
            for offset, length in _spans(size):
                f.seek(offset)
                digest.update(f.read(length))
    except IsADirectoryError:
        raise InputError("is a directory, not a media file") from None
    except FileNotFoundError:
        if os.path.islink(path):
            target = os.readlink(path)
            raise InputError(f"broken symlink (to {target}, which does not exist)") from None
        raise InputError("no such file") from None
    except PermissionError:
        raise InputError("cannot read: permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # opening a socket
            raise InputError("a socket, not a regular file: not read") from None
        if not exc.errno and exc.strerror:  # open_regular's reason
            raise InputError(exc.strerror) from None
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    return f"{VERSION}:{digest.hexdigest()}"


def _spans(size: int) -> list[tuple[int, int]]:
    """The (offset, length) ranges that are hashed, in file order."""
    if size <= 2 * EDGE + SAMPLES * BLOCK:
        return [(0, size)]
    middle_start, middle_end = EDGE, size - EDGE
    step = (middle_end - middle_start - BLOCK) / (SAMPLES - 1)
    samples = [(middle_start + round(i * step), BLOCK) for i in range(SAMPLES)]
    return [(0, EDGE), *samples, (middle_end, EDGE)]

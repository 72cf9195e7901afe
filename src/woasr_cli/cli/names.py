"""File names as a terminal shows them: on one line, and unable to move the cursor.

A name may hold a newline (a "done" line became two), an escape sequence (it could recolour or
rewrite the terminal) or bytes that are not UTF-8 (Python holds them as lone surrogates).
Those are written as escapes, as Python writes them in a string: ``\\n``, ``\\x1b``, ``\\xff``.
"""

from __future__ import annotations


def shown(name: str) -> str:
    """``name`` with control characters and undecodable bytes escaped; the rest as it is."""
    if name.isprintable():
        return name
    return "".join(_char(ch) for ch in name)


def _char(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (``surrogateescape``)
        return f"\\x{code - 0xDC00:02x}"
    if ch.isprintable() or ch == " ":
        return ch
    return repr(ch)[1:-1]

"""Text the manifest stores that may not be UTF-8: file names.

A Linux file name is bytes; one that is not UTF-8 (Latin-1 names from an old archive, a
camera's) reaches Python with its odd bytes as lone surrogates (``surrogateescape``), which
SQLite's UTF-8 text cannot hold: the whole batch stopped with a traceback at such a file.
Such a value is stored as the name's own bytes (a BLOB in the same column: a lookup by the
same name finds it) and read back as the same ``str``; every other value is stored as it was.
"""

from __future__ import annotations


def stored(text: str) -> str | bytes:
    """``text`` as SQLite can hold it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")
    return text


def loaded(value: str | bytes) -> str:
    """The ``str`` that :func:`stored` was given."""
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value

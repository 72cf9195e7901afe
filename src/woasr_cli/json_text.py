"""JSON text whose strings may hold file names that are not UTF-8.

Python holds a name's undecodable bytes as lone surrogates (``surrogateescape``). JSON written
with ``ensure_ascii=False`` keeps them as they are, and such text cannot be written as UTF-8:
printing it failed. Here each one is written as its JSON escape (``\\udce9``; ``json.loads``
gives the same ``str`` back, and ``os.fsencode`` of it the name's own bytes); every other
character is written as it is.
"""

from __future__ import annotations

import json
import re
from typing import Any

_LONE = re.compile("[\udc80-\udcff]")


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **options)``, valid as UTF-8."""
    text = json.dumps(value, ensure_ascii=False, **options)
    return _LONE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

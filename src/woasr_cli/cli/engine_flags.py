"""Flags that choose and load the engine, declared once for every command that loads one
(``transcribe``, ``listen``): the same names, environment variables and help everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ASR_PANEL = "ASR"

ModelFlag = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        envvar="WOASR_MODEL",
        help="Model name or local directory  [default: the provider's]",
        rich_help_panel=ASR_PANEL,
    ),
]
DeviceFlag = Annotated[
    str,
    typer.Option(
        "--device", envvar="WOASR_DEVICE", help="auto, cpu or cuda.", rich_help_panel=ASR_PANEL
    ),
]
ComputeTypeFlag = Annotated[
    str,
    typer.Option(
        "--compute-type",
        envvar="WOASR_COMPUTE_TYPE",
        help="int8, float16, float32 ...  [default: int8 on CPU]",
        rich_help_panel=ASR_PANEL,
    ),
]
ModelCacheDirFlag = Annotated[
    Path | None,
    typer.Option(
        "--model-cache-dir",
        envvar="WOASR_MODEL_CACHE",
        help="[default: ~/.cache/woasr/models]",
        rich_help_panel=ASR_PANEL,
    ),
]

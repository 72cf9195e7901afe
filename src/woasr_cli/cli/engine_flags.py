"""Flags that choose and load the engine, declared once for every command that loads one
(``transcribe``, ``listen``, ``serve``): the same names, environment variables and help
everywhere.

Help text is Rich markup: a default written into it is ``\\[default: ...]``, as in every
command's flags; an unescaped ``[default: ...]`` is read as a style tag and not shown.
"""

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
        help="Model name, hub id (org/name) or local directory  \\[default: the provider's]",
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
        help="int8, float16, float32 ...  \\[default: int8 on CPU, float16 on a GPU]",
        show_default=False,
        rich_help_panel=ASR_PANEL,
    ),
]
BeamSizeFlag = Annotated[
    int | None,
    typer.Option(
        "--beam-size",
        min=1,
        help="Beam width  \\[default: 5 where the engine has beam search]",
        show_default=False,
        rich_help_panel=ASR_PANEL,
    ),
]
ModelCacheDirFlag = Annotated[
    Path | None,
    typer.Option(
        "--model-cache-dir",
        envvar="WOASR_MODEL_CACHE",
        help="\\[default: ~/.cache/woasr/models]",
        rich_help_panel=ASR_PANEL,
    ),
]
ProviderFlag = Annotated[
    str,
    typer.Option(
        "--provider",
        "-p",
        envvar="WOASR_PROVIDER",
        help="ASR engine (see 'woasr providers').",
        rich_help_panel=ASR_PANEL,
    ),
]
OpenAIBaseUrlFlag = Annotated[
    str | None,
    typer.Option(
        "--openai-base-url",
        envvar="WOASR_OPENAI_BASE_URL",
        show_envvar=True,
        help="Provider openai_api: the OpenAI-compatible endpoint, e.g. "
        "https://api.openai.com/v1 or http://127.0.0.1:8000/v1 (woasr serve); the provider is "
        "off until this and the key are set.",
        rich_help_panel=ASR_PANEL,
    ),
]
OpenAIApiKeyFlag = Annotated[
    str | None,
    typer.Option(
        "--openai-api-key",
        envvar="WOASR_OPENAI_API_KEY",
        show_envvar=True,
        help="Provider openai_api: the endpoint's API key (never written to outputs or stored "
        "with a job).",
        rich_help_panel=ASR_PANEL,
    ),
]

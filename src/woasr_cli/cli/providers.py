"""``woasr providers``: every engine, installed or not, with capabilities and default model."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from typing import Annotated, Any

import typer


def provider_rows() -> list[dict[str, Any]]:
    from woasr_cli.providers import specs

    rows = []
    for spec in specs():
        caps = asdict(spec.capabilities)
        for key, value in caps.items():
            if isinstance(value, frozenset):  # languages, decoding options: JSON lists
                caps[key] = sorted(value)
        missing = spec.missing()
        unset = [s for s in spec.settings if not os.environ.get(s.env)]
        rows.append(
            {
                "name": spec.name,
                "installed": not missing,
                "missing": missing,
                "extra": spec.extra or None,  # None: installed with woasr itself
                "install": spec.install,
                # External providers are off until configured: what they need, what is unset.
                "settings": [s.env for s in spec.settings],
                "configured": not unset,
                "needs": [s.env for s in unset],
                "default_model": spec.default_model,
                "capabilities": caps,
                "summary": spec.summary,
            }
        )
    return rows


_CAP_LABELS = {
    "translate": "translate",
    "word_timestamps": "words",
    "language_detection": "lang-id",
    "gpu": "GPU",
    "batched": "batched",
    "needs_torch": "torch",
}


def providers(
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List ASR providers: installed or not (and how to install), capabilities, default model."""
    rows = provider_rows()
    if json_out:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="woasr providers")
    table.add_column("provider", no_wrap=True)
    for col in ("installed", "default model", "can", "about"):
        table.add_column(col, overflow="fold")
    for r in rows:
        labels = [label for key, label in _CAP_LABELS.items() if r["capabilities"][key]]
        vad = r["capabilities"]["vad"]
        labels += ["VAD"] if vad == "switchable" else ["VAD (always on)"] if vad == "always" else []
        can = ", ".join(labels)
        # escape(): rich would read "[openai-whisper]" in the install hint as markup.
        status = "[green]yes[/]" if r["installed"] else f"[yellow]no[/]: {escape(r['install'])}"
        if r["installed"] and not r["configured"]:
            status = "[yellow]not configured[/]: set " + ", ".join(r["needs"])
        elif r["installed"] and r["settings"]:
            status = "[green]yes, configured[/]"
        table.add_row(r["name"], status, escape(r["default_model"]), can, escape(r["summary"]))
    Console().print(table)

"""docs/cli.md is generated from the real --help; it must not drift from the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_cli_docs_are_current() -> None:
    spec = importlib.util.spec_from_file_location(
        "gen_cli_docs", REPO / "scripts" / "gen_cli_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render()
    actual = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is stale: run python scripts/gen_cli_docs.py"


def test_every_default_written_in_an_options_help_is_shown_by_help() -> None:
    """Typer's help is Rich markup, where an unescaped "[default: 5]" is a style tag and
    vanishes: `woasr transcribe --help` showed "Beam width" without its default."""
    import re

    import typer
    from typer.testing import CliRunner

    from woasr_cli.cli.app import app

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    checked = 0
    for name, command in commands.items():
        shown = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "1000"}).stdout
        shown = re.sub(r"[\s│]+", " ", shown)
        for param in command.params:
            help_text = re.sub(r"\s+", " ", getattr(param, "help", None) or "")
            for note in re.findall(r"\\?\[(default: [^\]]*\])", help_text):
                assert f"[{note}" in shown, (name, param.name, note)
                # and not a second, contradicting one of typer's ("[default: default]")
                assert param.default is None or param.show_default is False, (name, param.name)
                checked += 1
    assert checked >= 20

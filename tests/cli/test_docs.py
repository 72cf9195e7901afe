"""docs/cli.md is generated from the real --help, and what the other docs say of the CLI (its
flags, environment variables, extras, the server's flag table) is checked against the code."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

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


# -- what the hand-written docs say about the CLI: flags, env vars, the server's flag table --------

USER_DOCS = (
    "README.md",
    "docs/api.md",
    "docs/recipes.md",
    "docs/server.md",
    "docs/scaling.md",
    "docs/live.md",
    "docs/diarization.md",
    "examples/README.md",
    "examples/transcribe-folder.sh",
    "examples/ci/github-actions.yml",
    "examples/ci/gitlab-ci.yml",
)  # not docs/performance.md: a lab notebook, whose old runs name the flags of their day
# Flags of other programs the docs show beside woasr's (ffmpeg, pip, ray, systemctl, chromium,
# whisper-ctranslate2 and the benchmarks' scripts).
FOREIGN_FLAGS = {
    "--no-deps", "--batched", "--now", "--use-file-for-fake-audio-capture", "--head",
    "--address", "--num-gpus", "--pause", "--gate", "--clock", "--minutes", "--pass-cost",
}  # fmt: skip
WOASR_COMMAND = re.compile(
    r"woasr (transcribe|convert|status|retry|providers|doctor|serve|listen)\b"
    r"((?:[^\n`|;#]|\\\n)*)"  # its arguments: to the end of the line (or its continuation)
)
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9_-]*(?![\w*-])")  # not `--ray-*`, a family


def option_flags() -> dict[str, set[str]]:
    import typer

    from woasr_cli.cli.app import app
    from woasr_cli.cli.whisper_flags import ALIASES

    flags = {}
    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        flags[name] = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        flags[name] |= {"--help"} | (set(ALIASES) if name in ("transcribe", "convert") else set())
    return flags


def user_docs() -> dict[str, str]:
    return {name: (REPO / name).read_text(encoding="utf-8") for name in USER_DOCS}


def test_every_flag_the_docs_name_is_a_real_option() -> None:
    """A flag shown after `woasr COMMAND` is that command's; any other `--flag` in the docs is
    some command's (or another program's, listed above)."""
    flags = option_flags()
    every = set().union(*flags.values())
    wrong = []
    for name, text in user_docs().items():
        for match in WOASR_COMMAND.finditer(text):
            command, args = match.groups()
            wrong += [(name, f"woasr {command} {f}") for f in FLAG.findall(args)
                      if f not in flags[command]]  # fmt: skip
        wrong += [(name, f) for f in FLAG.findall(text) if f not in every | FOREIGN_FLAGS]
    assert not wrong, wrong


def test_every_environment_variable_is_in_the_cli_docs_header() -> None:
    """docs/cli.md opens with the variables that stand in for options; a list kept by hand
    there lacked ten of them (WOASR_PACK, WOASR_EXECUTOR, RAY_ADDRESS, the server's four...)."""
    import typer

    from woasr_cli.cli.app import app

    header = (REPO / "docs" / "cli.md").read_text(encoding="utf-8").split("\n## ")[0]
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    read = {p.envvar for c in commands.values() for p in c.params if isinstance(p.envvar, str)}
    assert len(read) >= 20
    assert not {env for env in read if f"`{env}`" not in header}


def test_environment_variables_the_docs_name_are_read() -> None:
    import typer

    from woasr_cli.cli.app import app

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    read = {p.envvar for c in commands.values() for p in c.params if isinstance(p.envvar, str)}
    source = "\n".join(p.read_text() for p in (REPO / "src").rglob("*.py"))
    named = {(name, env) for name, text in user_docs().items()
             for env in re.findall(r"\b(?:WOASR|HF|RAY)_[A-Z_]*[A-Z]\b", text)}  # fmt: skip
    assert len(named) >= 10
    foreign = {"RAY_AUTH_MODE", "RAY_AUTH_TOKEN"}  # Ray's own, for a cluster with tokens
    assert not {(n, env) for n, env in named
                if env not in read | foreign and f'"{env}"' not in source}  # fmt: skip


def test_the_serve_flag_table_in_server_md_is_the_real_one() -> None:
    """docs/server.md's table of `woasr serve` flags: every flag of the command, each with its
    real default (where the table gives one as a literal) and its real environment variable."""
    import typer

    from woasr_cli.cli.app import app

    serve = typer.main.get_command(app).commands["serve"]  # type: ignore[attr-defined]
    params = {o: p for p in serve.params for o in p.opts}
    text = (REPO / "docs" / "server.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (`--[^|]*)\| ([^|]*)\|", text, re.M)
    shown: set[str] = set()
    for flags_cell, default_cell in rows:
        names = re.findall(r"`(-[\w-]+)`", flags_cell)
        assert names and all(n in params for n in names), flags_cell
        shown.update(names)
        param = params[names[0]]
        literal = re.match(r"\s*`([^`]*)`", default_cell)
        if literal and param.default is not None:
            default = param.default
            value = type(default)(literal.group(1)) if not isinstance(default, bool) else default
            assert value == default, (names[0], literal.group(1), default)
        env = re.search(r"\(`([A-Z][A-Z_]+)`\)", default_cell)
        assert (env.group(1) if env else None) == param.envvar, (names[0], param.envvar)
    missing = {p.opts[0] for p in serve.params if p.opts[0] != "--help"} - shown
    assert not missing, f"docs/server.md's flag table lacks {sorted(missing)}"


def test_every_extra_a_message_or_the_docs_name_exists() -> None:
    """`pip install 'woasr[X]'` in an error message or the docs: X is an extra of the package
    (live/vad.py told users to install 'woasr[faster-whisper]', which is none: pip warns and
    installs nothing, faster-whisper being a dependency of woasr itself)."""
    tomllib = pytest.importorskip("tomllib", reason="Python 3.11+ reads pyproject.toml")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = set(project["optional-dependencies"])
    texts = {str(p.relative_to(REPO)): p.read_text() for p in (REPO / "src").rglob("*.py")}
    texts |= {**user_docs(), "docs/cli.md": (REPO / "docs" / "cli.md").read_text()}
    named = {
        (name, extra)
        for name, text in texts.items()
        for group in re.findall(r"woasr\[([\w,-]+)\]", text)
        for extra in group.split(",")
    }
    assert len({extra for _, extra in named}) >= 10
    assert not {(name, extra) for name, extra in named if extra not in extras}


def test_the_transcribe_request_table_in_server_md_is_the_schema() -> None:
    """docs/server.md's table of POST /api/v1/transcribe fields names every field of the
    request schema and no other (`alignment_provider` and `postprocess` were left out)."""
    pytest.importorskip("fastapi", reason="needs the serve extra")
    from woasr_cli.server.schemas import TranscriptionRequest

    text = (REPO / "docs" / "server.md").read_text(encoding="utf-8")
    table = text[text.index("**Transcribe request**") :].split("\n\n")[1]
    named = {f for row in table.splitlines()[2:] for f in re.findall(r"`(\w+)`", row.split("|")[1])}
    assert named == set(TranscriptionRequest.model_fields)

"""Regenerate docs/cli.md from the real ``--help`` of every command (tests check it is current).

python scripts/gen_cli_docs.py
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMANDS = ("transcribe", "convert", "status", "retry", "providers", "doctor", "serve", "listen")

HEADER = """# woasr command line

Generated from the real `--help` by `scripts/gen_cli_docs.py`; do not edit by hand.

Exit codes: `0` success, `1` some inputs failed (each with a one-line reason; the rest were
done), `2` usage error (bad flag; unknown provider, model or format; missing extra), `130`
interrupted by Ctrl-C, `143` stopped by SIGTERM (within 3 s, whatever it was doing, with the
processes it started: `--workers`, a local Ray; rerun the same command, or `woasr retry`, to
resume). `woasr listen` ends a stream on Ctrl-C or SIGTERM
the normal way, its last words committed and its files written, with `0` (docs/live.md);
`woasr serve` exits as uvicorn does after a graceful shutdown (docs/server.md).
"""


def environment() -> str:
    """Every environment variable an option reads, taken from the options themselves (a list
    kept by hand had fallen behind: WOASR_PACK, WOASR_EXECUTOR, RAY_ADDRESS, the server's...)."""
    import typer

    from woasr_cli.cli.app import app

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    uses: dict[str, dict[str, list[str]]] = {}
    for name in COMMANDS:
        for param in commands[name].params:
            envvars = param.envvar if isinstance(param.envvar, list | tuple) else [param.envvar]
            for env in filter(None, envvars):
                uses.setdefault(env, {}).setdefault(param.opts[0], []).append(name)
    rows = [
        f"| `{env}` | `{flag}` | {', '.join(names)} |"
        for env, flags in uses.items()
        for flag, names in flags.items()
    ]
    return (
        "Environment variables stand in for options (an option on the command line wins):\n\n"
        "| variable | option | of |\n|---|---|---|\n" + "\n".join(rows) + "\n\n"
        "Also read: `HF_HUB_OFFLINE=1` turns `--offline` on; `WOASR_MALLOC=system` leaves the C\n"
        "allocator as glibc sets it (docs/api.md).\n"
    )


def render() -> str:
    import os

    os.environ["COLUMNS"] = "100"
    os.environ["TERMINAL_WIDTH"] = "100"
    os.environ["NO_COLOR"] = "1"
    from typer.testing import CliRunner

    from woasr_cli.cli.app import app

    runner = CliRunner()
    parts = [HEADER, environment()]
    for name in ("", *COMMANDS):
        args = [name, "--help"] if name else ["--help"]
        result = runner.invoke(app, args, env={"COLUMNS": "100", "NO_COLOR": "1"})
        title = f"woasr {name}".strip()
        body = "\n".join(line.rstrip() for line in result.stdout.strip("\n").splitlines())
        parts.append(f"## `{title}`\n\n```text\n{body}\n```\n")
    parts.append(whisper_table())
    return "\n".join(parts)


WHISPER_INTRO = """## Coming from whisper / whisper-ctranslate2 / whisperX

`woasr transcribe` (and `woasr convert`, for its flags) also accepts the spellings those CLIs use,
as hidden aliases of its own flags. A boolean takes `True` or `False` after it, as there, and
anything else is a usage error (never an input file). Decoding options reach every engine that
honours them; one an engine cannot honour is refused (exit 2) rather than ignored: batched
faster-whisper (the default) honours `--temperature` (its first value samples `--best-of`
candidates when above 0; a chunk whose text loops is decoded again at the others),
`--best-of`, `--patience`, `--compression-ratio-threshold`, the no-speech rule and
`--no-condition-on-previous-text`; `--hallucination-silence-threshold` turns on sequential
decoding (`--batch-size 1`) when the batch size is automatic. Differences by default: woasr writes every format (`-f all`), detects the
language per file (and decodes 30 s of speech clearly in another language in that one, where
whisper drops it), lays subtitles out as guidelines ask (`--subtitle-layout none` for one cue per
segment) and turns word timestamps on with faster_whisper.

| whisper-style flag | woasr flag |
|---|---|
"""


def whisper_table() -> str:
    from woasr_cli.cli.whisper_flags import ALIASES

    rows = []
    for name, alias in ALIASES.items():
        if alias.boolean:
            on = " ".join(alias.on or ()) or "(nothing)"
            off = " ".join(alias.off) or "(nothing)"
            target = f"`True`: `{on}`, `False`: `{off}`".replace("`(nothing)`", "nothing")
        else:
            target = f"`{alias.flag} VALUE`"
        note = f" ({alias.note})" if alias.note else ""
        rows.append(f"| `{name}` | {target}{note} |")
    return WHISPER_INTRO + "\n".join(rows) + "\n"


def main() -> None:
    sys.path.insert(0, str(REPO / "src"))
    (REPO / "docs" / "cli.md").write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main()

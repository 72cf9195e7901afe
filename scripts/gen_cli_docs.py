"""Regenerate docs/cli.md from the real ``--help`` of every command (tests check it is current).

python scripts/gen_cli_docs.py
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMANDS = ("transcribe", "convert", "status", "retry", "providers", "doctor", "listen")

HEADER = """# woasr command line

Generated from the real `--help` by `scripts/gen_cli_docs.py`; do not edit by hand.

Exit codes (every command): `0` success, `1` some inputs failed (each with a one-line reason;
the rest were done), `2` usage error (bad flag; unknown provider, model or format; missing
extra), `130` interrupted (rerun the same command to resume).

Environment: `WOASR_OUTPUT_DIR`, `WOASR_PROVIDER`, `WOASR_MODEL`, `WOASR_LANGUAGE`,
`WOASR_DEVICE`, `WOASR_COMPUTE_TYPE`, `WOASR_THREADS`, `WOASR_BATCH_SIZE`, `WOASR_WORKERS`,
`WOASR_MANIFEST`, `WOASR_MODEL_CACHE`, `WOASR_OFFLINE`, `WOASR_ALIGN_MODEL`, `HF_TOKEN`
stand in for the flags of the same names; a flag on the command line wins.
"""


def render() -> str:
    import os

    os.environ["COLUMNS"] = "100"
    os.environ["TERMINAL_WIDTH"] = "100"
    os.environ["NO_COLOR"] = "1"
    from typer.testing import CliRunner

    from woasr_cli.cli.app import app

    runner = CliRunner()
    parts = [HEADER]
    for name in ("", *COMMANDS):
        args = [name, "--help"] if name else ["--help"]
        result = runner.invoke(app, args, env={"COLUMNS": "100", "NO_COLOR": "1"})
        title = f"woasr {name}".strip()
        body = "\n".join(line.rstrip() for line in result.stdout.strip("\n").splitlines())
        parts.append(f"## `{title}`\n\n```text\n{body}\n```\n")
    return "\n".join(parts)


def main() -> None:
    sys.path.insert(0, str(REPO / "src"))
    (REPO / "docs" / "cli.md").write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main()

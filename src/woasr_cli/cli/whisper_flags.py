"""The flag spellings of whisper, whisper-ctranslate2 and whisperX, as hidden aliases.

Users of those CLIs type ``--output_dir out --word_timestamps True``; woasr rewrites such
arguments into its own flags before parsing (:class:`WhisperStyleCommand`), so they work without
cluttering ``--help``. A boolean alias takes its ``True``/``False`` value as those CLIs do, and
refuses anything else rather than taking the next input file as its value. ``ALIASES`` is also
the table in docs/cli.md (scripts/gen_cli_docs.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from typer.core import TyperCommand

if TYPE_CHECKING:
    from typer._click import Context  # Typer's own copy of click

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


@dataclass(frozen=True)
class Alias:
    """A whisper-style flag: its woasr flag, or for a boolean the woasr flags (or nothing)
    that its True and False values stand for."""

    flag: str | None = None
    on: tuple[str, ...] | None = None  # a boolean alias: what "True" becomes
    off: tuple[str, ...] = ()  # ... and what "False" becomes
    note: str = ""

    @property
    def boolean(self) -> bool:
        return self.on is not None


def _bool(on: str | None, off: str | None = None, note: str = "") -> Alias:
    return Alias(on=(on,) if on else (), off=(off,) if off else (), note=note)


ALIASES: dict[str, Alias] = {
    "--output_dir": Alias("--output-dir"),
    "--output_format": Alias("--output-format"),
    "--word_timestamps": _bool("--word-timestamps", "--no-word-timestamps"),
    "--initial_prompt": Alias("--initial-prompt"),
    "--beam_size": Alias("--beam-size"),
    "--best_of": Alias("--best-of"),
    "--patience": Alias("--patience"),
    "--temperature_increment_on_fallback": Alias(
        "--temperature",
        note="with `--temperature T` (default 0): `--temperature T,T+I,...` up to 1.0",
    ),
    "--condition_on_previous_text": _bool(
        "--condition-on-previous-text", "--no-condition-on-previous-text"
    ),
    "--no_speech_threshold": Alias("--no-speech-threshold"),
    "--compression_ratio_threshold": Alias("--compression-ratio-threshold"),
    "--logprob_threshold": Alias("--logprob-threshold"),
    "--hallucination_silence_threshold": Alias("--hallucination-silence-threshold"),
    "--max_line_width": Alias("--max-line-width"),
    "--max_line_count": Alias("--max-line-count"),
    "--max_words_per_line": Alias("--max-words-per-line"),
    "--highlight_words": _bool("--highlight-words"),
    "--compute_type": Alias("--compute-type"),
    "--batch_size": Alias("--batch-size"),
    "--vad_filter": _bool("--vad", "--no-vad"),
    "--model_dir": Alias("--model-cache-dir", note="where models are kept"),
    "--model_directory": Alias(
        "--model", note="whisper-ctranslate2: a model directory, which `--model` takes"
    ),
    "--local_files_only": _bool("--offline", "--online"),
    "--threads": Alias("--threads"),
    "--verbose": _bool(None, note="accepted and ignored: woasr shows progress, `-q` hides it"),
    "--align_model": Alias("--align-model"),
    "--min_speakers": Alias("--min-speakers"),
    "--max_speakers": Alias("--max-speakers"),
    "--hf_token": Alias("--hf-token"),
}


def _truth(flag: str, value: str | None) -> bool:
    if value is not None and value.lower() in _TRUE:
        return True
    if value is not None and value.lower() in _FALSE:
        return False
    got = "nothing" if value is None else f"'{value}'"
    raise typer.BadParameter(f"{flag} takes True or False (as in whisper), not {got}")


def _schedule(start: float, step: float) -> str:
    """whisper's fallback temperatures: start, start+step, ... up to 1.0."""
    if step <= 0:
        return f"{start:g}"
    temps, k = [], 0
    while start + k * step <= 1.0 + 1e-6:
        temps.append(round(start + k * step, 4))
        k += 1
    return ",".join(f"{t:g}" for t in temps) or f"{start:g}"


def rewrite(args: Sequence[str], known: set[str] | None = None) -> list[str]:
    """``args`` with whisper-style flags turned into woasr's (only those in ``known`` when
    given: the flags of the command being parsed); ``--`` ends the rewriting."""
    out: list[str] = []
    increment: str | None = None
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            out += [arg, *rest]
            break
        name, eq, inline = arg.partition("=")
        alias = ALIASES.get(name)
        if alias is None or (known is not None and not _applies(alias, known)):
            out.append(arg)
            continue
        value: str | None = inline if eq else None
        if alias.boolean:
            if value is None and rest:
                value = rest.pop(0)
            out += list(alias.on or ()) if _truth(name, value) else list(alias.off)
            continue
        if value is None:
            if not rest:
                raise typer.BadParameter(f"{name} needs a value")
            value = rest.pop(0)
        if name == "--temperature_increment_on_fallback":
            increment = value
            continue
        out += [str(alias.flag), value]
    if increment is not None:
        out = _with_increment(out, increment)
    return out


def _applies(alias: Alias, known: set[str]) -> bool:
    flags = [alias.flag] if alias.flag else [*(alias.on or ()), *alias.off]
    return all(f in known for f in flags)


def _with_increment(args: list[str], increment: str) -> list[str]:
    """Fold ``--temperature_increment_on_fallback`` into ``--temperature``."""
    try:
        step = 0.0 if increment.lower() == "none" else float(increment)
    except ValueError:
        raise typer.BadParameter(
            f"--temperature_increment_on_fallback takes a number, not '{increment}'"
        ) from None
    start, at = 0.0, None
    for i, arg in enumerate(args[:-1]):
        if arg == "--temperature":
            at = i
    if at is not None:
        try:
            start = float(args[at + 1])
        except ValueError:  # already a list: woasr's own spelling wins
            return args
        return [*args[:at], "--temperature", _schedule(start, step), *args[at + 2 :]]
    return [*args, "--temperature", _schedule(start, step)]


class WhisperStyleCommand(TyperCommand):
    """A command that also accepts the whisper-style spellings of its flags (hidden)."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        known = {opt for p in self.params for opt in (*p.opts, *p.secondary_opts)}
        try:
            args = rewrite(args, known)
        except typer.BadParameter as exc:
            exc.ctx = ctx  # shown with the command's usage line, exit 2
            raise
        return super().parse_args(ctx, args)

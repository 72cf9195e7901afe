"""The recipes in examples/ run as written: the folder script, both CI files (their commands in
order, with a local stand-in for the runner and its cache) and the Python example."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow
EXAMPLES = REPO / "examples"


@pytest.fixture
def woasr_bin(tmp_path: Path) -> Path:
    """A `woasr` on PATH that runs this checkout (what `pip install woasr` gives a runner)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "woasr"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m woasr_cli "$@"\n')
    shim.chmod(0o755)
    return bindir


def env_with(bindir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", **extra}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    return env


def add_media(folder: Path, shared_audio: Path, names: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in names.items():
        if source == "broken":
            (folder / name).write_bytes(b"RIFF\x10\x00\x00\x00WAVE but cut off")
        else:
            shutil.copy(shared_audio / source, folder / name)


def test_folder_script_odd_names_broken_file_and_a_cheap_rerun(
    tmp_path: Path, shared_audio: Path, woasr_bin: Path
) -> None:
    media, out = tmp_path / "my media", tmp_path / "subs"
    add_media(
        media,
        shared_audio,
        {"a talk.wav": "jfk.wav", "-dash.wav": "librispeech_1272-128104-0000.wav",
         "broken.wav": "broken"},
    )  # fmt: skip
    script = [str(EXAMPLES / "transcribe-folder.sh"), str(media), str(out), "-f", "srt",
              "--model", "tiny.en"]  # fmt: skip
    first = subprocess.run(script, env=env_with(woasr_bin), capture_output=True, text=True)
    assert first.returncode == 1, first.stderr
    assert "these inputs failed" in first.stderr and "broken.wav" in first.stderr
    assert (out / "a talk.srt").is_file() and (out / "-dash.srt").is_file()
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*.srt")}
    again = subprocess.run(script, env=env_with(woasr_bin), capture_output=True, text=True)
    assert again.returncode == 1, again.stderr  # the broken file still fails: said again
    assert "0 done, 2 skipped, 1 failed" in again.stderr
    assert stamps == {p: p.stat().st_mtime_ns for p in out.glob("*.srt")}  # nothing redone
    (media / "broken.wav").unlink()
    clean = subprocess.run(script, env=env_with(woasr_bin), capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    assert "failed" not in clean.stderr.split("woasr:")[-1] or "0 failed" in clean.stderr


def events(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def by_kind(evts: list[dict[str, object]], kind: str) -> set[str]:
    return {Path(str(e["input"])).name for e in evts if e["event"] == kind}


class Runner:
    """A stand-in CI runner: a checkout folder, and a cache folder restored before each run
    and saved after it, as the platform's cache does."""

    def __init__(self, tmp_path: Path, cached: list[str]) -> None:
        self.checkout = tmp_path / "checkout"
        self.home = tmp_path / "home"
        self.store = tmp_path / "cache-store"
        self.cached = cached  # paths relative to the checkout or starting with ~/
        for d in (self.checkout, self.home, self.store):
            d.mkdir()

    def _where(self, path: str) -> Path:
        return self.home / path[2:] if path.startswith("~/") else self.checkout / path

    def restore(self) -> None:
        for i, path in enumerate(self.cached):
            saved = self.store / str(i)
            if saved.exists():
                shutil.copytree(saved, self._where(path), dirs_exist_ok=True)

    def save(self) -> None:
        for i, path in enumerate(self.cached):
            if self._where(path).exists():
                shutil.rmtree(self.store / str(i), ignore_errors=True)
                shutil.copytree(self._where(path), self.store / str(i))

    def run(self, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        self.restore()
        try:
            return subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                cwd=self.checkout, env={**env, "HOME": str(self.home)}, capture_output=True,
                text=True, timeout=600,
            )  # fmt: skip
        finally:
            self.save()


def github_script() -> tuple[str, list[str]]:
    import yaml

    workflow = yaml.safe_load((EXAMPLES / "ci" / "github-actions.yml").read_text())
    steps = workflow["jobs"]["subtitles"]["steps"]
    cache = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache"))
    cached = cache["with"]["path"].split()
    # Installing woasr is the runner's business here: the shim on PATH stands in for it.
    runs = [s["run"] for s in steps if "run" in s and not s["run"].startswith("pip install")]
    assert any("woasr transcribe" in r for r in runs)
    return "\n".join(runs), cached


@pytest.mark.skipif(
    shutil.which("jq") is None, reason="the GitHub workflow uses jq (apt-get install jq)"
)
def test_github_workflow_transcribes_only_what_changed(
    tmp_path: Path, shared_audio: Path, woasr_bin: Path
) -> None:
    script, cached = github_script()
    assert cached == ["subs", "~/.cache/woasr"]
    runner = Runner(tmp_path, cached)
    media = runner.checkout / "media"
    add_media(media, shared_audio, {"jfk.wav": "jfk.wav", "intro.wav": "synth/hibari_en_1.wav"})
    env = env_with(woasr_bin)
    first = runner.run(script, env)
    assert first.returncode == 0, first.stderr
    assert by_kind(events(runner.checkout / "events.jsonl"), "done") == {"jfk.wav", "intro.wav"}
    # A fresh checkout (no subs/ but what the cache restores), one new file and one broken one.
    shutil.rmtree(runner.checkout / "subs")
    add_media(media, shared_audio, {"new.wav": "synth/hibari_en_2.wav", "bad.wav": "broken"})
    second = runner.run(script, env)
    evts = events(runner.checkout / "events.jsonl")
    assert by_kind(evts, "done") == {"new.wav"}
    assert by_kind(evts, "skipped") == {"jfk.wav", "intro.wav"}
    assert second.returncode == 1  # the job fails, and the log names the file
    assert f"::error file={media / 'bad.wav'}::" in second.stdout
    assert (runner.checkout / "subs" / "new.srt").is_file()


def gitlab_script() -> tuple[str, list[str], dict[str, str]]:
    import yaml

    job = yaml.safe_load((EXAMPLES / "ci" / "gitlab-ci.yml").read_text())["subtitles"]
    lines = [line for line in job["script"] if not line.startswith("pip install")]
    return "\n".join(lines), job["cache"]["paths"], job["variables"]


def test_gitlab_job_transcribes_only_what_changed_and_reports_junit(
    tmp_path: Path, shared_audio: Path, woasr_bin: Path
) -> None:
    script, cached, variables = gitlab_script()
    runner = Runner(tmp_path, [p.rstrip("/") for p in cached])
    media = runner.checkout / "media"
    add_media(media, shared_audio, {"jfk.wav": "jfk.wav"})
    project = {"CI_PROJECT_DIR": str(runner.checkout)}
    env = env_with(woasr_bin, **project)
    env.update({k: os.path.expandvars(v.replace("$CI_PROJECT_DIR", str(runner.checkout)))
                for k, v in variables.items()})  # fmt: skip
    first = runner.run(script, env)
    assert first.returncode == 0, first.stderr + first.stdout
    shutil.rmtree(runner.checkout / "subs")
    add_media(media, shared_audio, {"new.wav": "synth/hibari_en_2.wav", "bad.wav": "broken"})
    second = runner.run(script, env)
    evts = events(runner.checkout / "events.jsonl")
    assert by_kind(evts, "done") == {"new.wav"} and by_kind(evts, "skipped") == {"jfk.wav"}
    assert second.returncode == 1 and "bad.wav" in second.stdout
    suite = ET.parse(runner.checkout / "woasr-junit.xml").getroot()
    failures = [c.get("name") for c in suite if c.find("failure") is not None]
    assert failures == [str(media / "bad.wav")]


def test_python_example_on_a_folder(tmp_path: Path, shared_audio: Path) -> None:
    media = tmp_path / "media"
    add_media(media, shared_audio, {"jfk.wav": "jfk.wav", "bad.wav": "broken"})
    env = env_with(tmp_path)
    cmd = [sys.executable, str(EXAMPLES / "python_api.py"), str(media), str(tmp_path / "out")]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stderr
    assert "1 done, 0 skipped, 1 failed" in run.stdout
    assert "%" in run.stdout  # progress lines
    assert (tmp_path / "out" / "jfk.srt").is_file()

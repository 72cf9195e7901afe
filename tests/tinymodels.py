"""Small models built by tests, with random weights, saved the way users' models are saved."""

from __future__ import annotations

import json
from pathlib import Path


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

"""Cache-aware streaming with a NeMo FastConformer trained for it.

NVIDIA's ``*_streaming_*`` FastConformers see a limited attention context (``att_context_style``
``chunked_limited``) through causal convolutions, so audio can be encoded as it arrives: each
step encodes one chunk of new log-mel frames, and the encoder's caches carry what came before.
The decoder (greedy CTC or transducer, NeMo's own) emits tokens that are never revised. This is
NeMo's ``conformer_stream_step`` loop (``CacheAwareStreamingAudioBuffer``) fed incrementally:
features are computed on the audio received so far, each frame once its window is complete, and
the last chunk is decoded when the stream ends instead of being dropped.

A model trained with several look-aheads (``att_context_size`` a list, as
``stt_en_fastconformer_hybrid_large_streaming_multi``: 0, 80, 480 or 1040 ms) streams with the
one each stream asks for: the encoder's attention context is set for that stream's steps and
put back after them, so streams of different look-ahead and file transcription share a model.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from woasr_cli.errors import CapabilityError
from woasr_cli.media.audio import SAMPLE_RATE, Audio
from woasr_cli.transcript import Word

# One model call at a time, streaming steps and file transcription alike: the encoder's
# streaming settings are shared state (``cache_aware_stream_step`` sets
# ``drop_extra_pre_encoded`` on the module for one call), and NeMo's ``transcribe`` leaves the
# encoder and decoders in training mode (``unfreeze``), which a step then undoes.
MODEL_TURN = threading.Lock()
# A word is complete when the next one starts, or when this much audio has been decoded after
# its last token with nothing new (a pause: a word does not go on after one).
WORD_GAP_S = 0.5


def cache_aware(model: Any) -> bool:
    """Whether ``model`` can be streamed chunk by chunk: a Conformer encoder with a limited
    right attention context, features without per-utterance normalisation, and a CTC or
    transducer decoder."""
    encoder = getattr(model, "encoder", None)
    style = str(getattr(encoder, "att_context_style", ""))
    context = getattr(encoder, "att_context_size", None)
    if not style.startswith("chunked_limited") or not context or int(context[1]) < 0:
        return False
    if not hasattr(model, "conformer_stream_step"):
        return False
    normalize = model.cfg.preprocessor.get("normalize", "NA")
    return normalize in (None, "NA", "None")


def stream_contexts(model: Any) -> list[list[int]]:
    """The attention contexts ``[left, right]`` (encoder frames) ``model`` streams with: its
    default first, then the others it was trained with."""
    encoder = model.encoder
    default = [int(v) for v in encoder.att_context_size]
    trained = getattr(encoder, "att_context_size_all", None) or [default]
    every = [default] + [[int(v) for v in c] for c in trained]
    contexts: list[list[int]] = []
    for context in every:
        if len(context) == 2 and context[1] >= 0 and context not in contexts:
            contexts.append(context)
    return contexts


def choose_context(model: Any, lookahead_ms: int | None) -> list[int]:
    """The context of ``lookahead_ms`` milliseconds of look-ahead (None: the model's default);
    a look-ahead the model was not trained with is refused, naming those it has."""
    contexts = stream_contexts(model)
    if lookahead_ms is None:
        return contexts[0]
    frame_ms = _frame_s(model) * 1000
    for context in contexts:
        if abs(context[1] * frame_ms - lookahead_ms) < frame_ms / 2:
            return context
    offered = [f"{round(c[1] * frame_ms)}" for c in contexts]
    choices = offered[0] if len(offered) == 1 else ", ".join(offered[:-1]) + " or " + offered[-1]
    raise CapabilityError(
        f"look-ahead {lookahead_ms} ms: this model streams with a look-ahead of {choices} ms"
    )


def _frame_s(model: Any) -> float:
    """Seconds of audio per encoder frame."""
    hop = int(model.preprocessor.featurizer.hop_length)
    return hop / SAMPLE_RATE * int(model.encoder.subsampling_factor)


@contextmanager
def _attention(encoder: Any, context: list[int], settings: Any = None) -> Iterator[None]:
    """The encoder set to attend over ``context`` for the calls inside, then put back (the
    caller holds ``MODEL_TURN``: the setting is the model's, shared with every other use).
    ``settings``: NeMo's streaming settings for ``context``, made before (``streaming_cfg``
    under this context), put in place as they are instead of made again (a few ms a step)."""
    before = (encoder.att_context_size, encoder.streaming_cfg)
    switch = [int(v) for v in before[0]] != context
    if switch and settings is None:
        encoder.set_default_att_context_size(context)
    elif switch:
        encoder.att_context_size, encoder.streaming_cfg = context, settings
    try:
        yield
    finally:
        if switch:
            encoder.att_context_size, encoder.streaming_cfg = before


@dataclass
class _Token:
    id: int
    frame: int  # encoder frame of the stream it was emitted at


class CacheAwareStream:
    """One stream through a cache-aware model. ``accept`` takes 16 kHz mono float32 audio of
    any length and returns the words completed by it; ``finish`` decodes the rest and returns
    the last words. ``pending`` is the word still being spoken (it may grow).
    ``lookahead_ms`` picks one of the look-aheads the model was trained with (None: its
    default); opening a stream does not wait for the model, which may be busy with a file."""

    def __init__(self, model: Any, lookahead_ms: int | None = None) -> None:
        import torch

        self._torch = torch
        self._model = model
        encoder = model.encoder
        self.context = choose_context(model, lookahead_ms)
        featurizer = model.preprocessor.featurizer
        self._hop = int(featurizer.hop_length)
        # frames whose window reaches into the start of a recomputed piece are not used
        self._margin = math.ceil((int(featurizer.n_fft) // 2 + 2) / self._hop) + 1
        # the chunk and cache sizes of this context, and the caches: set at the first step
        self._chunk = self._pre_cache = (0, 0)
        self._drop = 0
        self._caches: tuple[Any, ...] = ()
        self._settings: Any = None
        self._sampling = _pair(encoder.pre_encode.get_sampling_frames()) if hasattr(
            encoder.pre_encode, "get_sampling_frames") else (1, 1)  # fmt: skip
        self._feat_in = int(encoder._feat_in)
        self.frame_s = _frame_s(model)
        # audio after a word's end a stream takes at most to make the word final: the chunk
        # that holds it (its look-ahead), the pause rule's gap, and two frames of slack
        self.final_within_s = (self.context[1] + 3) * self.frame_s + WORD_GAP_S
        self._gap_frames = round(WORD_GAP_S / self.frame_s)
        self._device = next(model.parameters()).device
        ctc = not hasattr(model, "joint") or getattr(model, "cur_decoder", "rnnt") == "ctc"
        self._ctc = ctc
        if ctc:
            self._decoding = model.ctc_decoding if hasattr(model, "ctc_decoding") else (
                model.decoding)  # fmt: skip
        else:
            self._decoding = _transducer_decoding(model)
        self._hypotheses: Any = None  # a transducer's state between steps
        self._seen = 0  # a transducer's tokens already taken
        self._last_id = -1  # CTC: the previous frame's prediction (a repeat is one token)
        # audio from sample _audio_start on (a multiple of the hop), features from _feat_start
        self._audio = np.zeros(0, dtype=np.float32)
        self._audio_start = 0
        self._next_frame = 0  # first feature frame not computed yet
        self._features = np.zeros((self._feat_in, 0), dtype=np.float32)
        self._feat_start = 0  # stream frame of self._features[:, 0]
        self._fed = 0  # first feature frame not yet given to the encoder
        self._out_frames = 0  # encoder frames decoded so far
        self._word: list[_Token] = []
        self.steps = 0  # encoder steps so far

    @property
    def received(self) -> int:
        return self._audio_start + len(self._audio)

    @property
    def pending(self) -> list[Word]:
        return _spoken([self._as_word(self._word)] if self._word else [])

    def accept(self, audio: Audio) -> list[Word]:
        self._audio = np.concatenate([self._audio, np.asarray(audio, np.float32).reshape(-1)])
        self._compute_features(final=False)
        return _spoken(self._run(final=False))

    def end_word(self) -> list[Word]:
        """The word being spoken, final now: the caller knows the speaker stopped."""
        word, self._word = self._word, []
        return _spoken([self._as_word(word)] if word else [])

    def finish(self) -> list[Word]:
        self._compute_features(final=True)
        words = self._run(final=True)
        if self._word:
            words.append(self._as_word(self._word))
            self._word = []
        return _spoken(words)

    # features ---------------------------------------------------------------------------

    def _compute_features(self, final: bool) -> None:
        """Log-mel frames of the audio so far, each computed once its whole window has arrived
        (at the end: every frame the whole stream's features have), equal to those of the
        whole stream at once."""
        total = self.received
        half = int(self._model.preprocessor.featurizer.n_fft) // 2
        end = total // self._hop + 1 if final else max(0, (total - half) // self._hop + 1)
        if end <= self._next_frame or total == 0:
            return
        first = max(0, self._next_frame - self._margin)
        start_sample = first * self._hop
        piece = self._audio[start_sample - self._audio_start :]
        torch = self._torch
        with MODEL_TURN, torch.inference_mode():
            self._model.eval()  # no dither
            signal = torch.from_numpy(np.ascontiguousarray(piece))[None].to(self._device)
            length = torch.tensor([len(piece)], device=self._device)
            feats, _ = self._model.preprocessor(input_signal=signal, length=length)
        new = feats[0, :, self._next_frame - first : end - first].float().cpu().numpy()
        self._features = np.concatenate([self._features, new], axis=1)
        self._next_frame = end
        keep_from = max(0, end - self._margin) * self._hop
        self._audio = self._audio[keep_from - self._audio_start :]
        self._audio_start = keep_from

    # encoder and decoder ------------------------------------------------------------------

    def _prepare(self) -> None:
        """NeMo's streaming sizes for this stream's context, and its empty caches."""
        encoder = self._model.encoder
        with MODEL_TURN, _attention(encoder, self.context):
            if encoder.streaming_cfg is None:  # NeMo sets it up when it builds the encoder
                encoder.setup_streaming_params()
            cfg = self._settings = encoder.streaming_cfg
            self._chunk = _pair(cfg.chunk_size)
            self._pre_cache = _pair(cfg.pre_encode_cache_size)
            self._drop = int(cfg.drop_extra_pre_encoded)
            self._caches = tuple(encoder.get_initial_cache_state(batch_size=1, device=self._device))

    def _run(self, final: bool) -> list[Word]:
        if not self._caches:
            self._prepare()
        words: list[Word] = []
        while True:
            first = self.steps == 0
            size = self._chunk[0] if first else self._chunk[1]
            available = self._next_frame - self._fed
            last = final and available <= size
            if available < size and not last:
                break
            if last and available <= 0:
                break
            words += self._step(min(size, available), first, last)
            if last:
                break
        paused = self._word and self._out_frames - 1 - self._word[-1].frame > self._gap_frames
        if paused and not final:
            words.append(self._as_word(self._word))
            self._word = []
        return words

    def _step(self, frames: int, first: bool, last: bool) -> list[Word]:
        torch = self._torch
        cache_size = self._pre_cache[0] if first else self._pre_cache[1]
        lo = self._fed - self._feat_start
        chunk = self._features[:, lo : lo + frames]
        before = self._features[:, max(0, lo - cache_size) : lo]
        pad = cache_size - before.shape[1]
        parts = [np.zeros((self._feat_in, pad), np.float32)] if pad > 0 else []
        signal = np.concatenate([*parts, before, chunk], axis=1)
        length = signal.shape[1]
        need = (self._sampling[0] if first else self._sampling[1]) + cache_size
        if length < need:  # the last few frames: too few for the subsampling, pad with silence
            silence = float(self._features.min()) if self._features.size else 0.0
            signal = np.pad(signal, ((0, 0), (0, need - length)), constant_values=silence)
        encoder = self._model.encoder
        with MODEL_TURN, torch.inference_mode(), _attention(encoder, self.context, self._settings):
            self._model.eval()  # no dropout, normalisation layers as trained
            tensor = torch.from_numpy(signal)[None].to(self._device)
            lengths = torch.tensor([length], device=self._device)
            channel, time_cache, channel_len = self._caches
            (encoded, encoded_len, *caches) = encoder.cache_aware_stream_step(
                processed_signal=tensor, processed_signal_length=lengths,
                cache_last_channel=channel, cache_last_time=time_cache,
                cache_last_channel_len=channel_len, keep_all_outputs=last,
                drop_extra_pre_encoded=0 if first else self._drop,
            )  # fmt: skip
            self._caches = tuple(caches)
            tokens = self._decode(encoded, encoded_len)
        self.steps += 1
        self._fed += frames
        self._out_frames += int(encoded_len[0])
        # features a later step's pre-encode cache still needs
        drop = max(0, self._fed - max(self._pre_cache) - self._feat_start)
        self._features = self._features[:, drop:]
        self._feat_start += drop
        return self._words(tokens)

    def _decode(self, encoded: Any, encoded_len: Any) -> list[_Token]:
        offset = self._out_frames
        if self._ctc:
            decoder = self._model.ctc_decoder if hasattr(self._model, "ctc_decoder") else (
                self._model.decoder)  # fmt: skip
            log_probs = decoder(encoder_output=encoded)
            predictions = log_probs[0, : int(encoded_len[0])].argmax(dim=-1).tolist()
            blank = int(self._decoding.blank_id)
            out = []
            for t, token in enumerate(predictions):
                if token != blank and token != self._last_id:
                    out.append(_Token(int(token), offset + t))
                self._last_id = token
            return out
        hypotheses = self._decoding.rnnt_decoder_predictions_tensor(
            encoder_output=encoded, encoded_lengths=encoded_len, return_hypotheses=True,
            partial_hypotheses=self._hypotheses,
        )  # fmt: skip
        if isinstance(hypotheses, tuple):  # older NeMo: (best, n-best)
            hypotheses = hypotheses[0]
        self._hypotheses = hypotheses
        hypothesis = hypotheses[0]
        # The hypothesis holds the whole stream's tokens: only this step's are read.
        ids = [int(i) for i in hypothesis.y_sequence[self._seen :]]
        stamps = hypothesis.timestamp
        times = [] if stamps is None or isinstance(stamps, dict) else stamps[self._seen :]
        self._seen += len(ids)
        # NeMo continues a partial hypothesis's frame count (its times are the stream's);
        # a time before this step's first frame would be one counted from the step.
        return [
            _Token(token, _global(int(times[i]) if i < len(times) else 0, offset))
            for i, token in enumerate(ids)
        ]

    def _words(self, tokens: list[_Token]) -> list[Word]:
        done: list[Word] = []
        for token in tokens:
            piece = self._decoding.decode_ids_to_tokens([token.id])[0]
            if not piece.strip():  # a character model's space
                if self._word:
                    done.append(self._as_word(self._word))
                self._word = []
                continue
            after_gap = self._word and token.frame - self._word[-1].frame > self._gap_frames
            if self._word and (piece.startswith("\u2581") or after_gap):  # a word starts
                done.append(self._as_word(self._word))
                self._word = []
            self._word.append(token)
        return done

    def _as_word(self, tokens: list[_Token]) -> Word:
        pieces = self._decoding.decode_ids_to_tokens([t.id for t in tokens])
        text = str(self._decoding.decode_tokens_to_str(pieces)).strip()
        start = tokens[0].frame * self.frame_s
        return Word(round(start, 3), round((tokens[-1].frame + 1) * self.frame_s, 3), text)


def _transducer_decoding(model: Any) -> Any:
    """A greedy transducer decoding of the model's own settings but without timestamps: the
    model's object is shared with its offline transcription, whose ``timestamps=True`` turns
    them on for good, and NeMo cannot carry a hypothesis with timestamps from step to step
    (its merge fails: "'dict' object has no attribute 'extend'"). Token times come from the
    greedy loop's own frame indices either way."""
    from copy import deepcopy

    from omegaconf import open_dict

    config = deepcopy(model.cfg.decoding)
    with open_dict(config):
        config.compute_timestamps = False
    kind = type(model.decoding)
    if hasattr(model, "tokenizer"):
        return kind(decoding_cfg=config, decoder=model.decoder, joint=model.joint,
                    tokenizer=model.tokenizer)  # fmt: skip
    return kind(decoding_cfg=config, decoder=model.decoder, joint=model.joint,
                vocabulary=model.joint.vocabulary)  # fmt: skip


def _spoken(words: list[Word]) -> list[Word]:
    """Words with text: SentencePiece's bare word-start piece decodes to nothing."""
    return [w for w in words if w.text]


def _global(frame: int, offset: int) -> int:
    return frame if frame >= offset else offset + frame


def _pair(value: Any) -> tuple[int, int]:
    """NeMo's streaming sizes: one for the first chunk and one for the others, or one for all."""
    if isinstance(value, list | tuple):
        return int(value[0]), int(value[1])
    return int(value), int(value)

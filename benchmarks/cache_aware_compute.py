"""What a cache-aware FastConformer costs to stream on this machine (issue 15's compute target).

python benchmarks/cache_aware_compute.py [--threads 2] [--lookahead 13 6 1 0] [--repeat 1]
    [--pause 0] [--gate]

No cache-aware weights can be had here, so the model is one of the shape of NVIDIA's
``stt_en_fastconformer_hybrid_large_streaming_multi`` (17 layers, d_model 512, 8 heads, 8x
causal depthwise-striding subsampling, attention 70 frames back; a transducer with a 640-unit
prediction network and joint) with random weights: a step's compute does not depend on them.
The joint is biased towards blank, so the decoder emits few tokens, as a trained one does
(it emits ~3-4 a second of speech; a greedy step per token is small beside the encoder).

The model is trained (as the ``_multi`` one is) for every look-ahead asked, and each runner
streams with one of them (``--lookahead-ms``; a chunk is look-ahead + 1 encoder frames of
80 ms): the shared English clips are streamed through ``woasr listen``'s processor for such a
model (``live.native.NativeStreamProcessor`` over ``providers.nemo_streaming.CacheAwareStream``)
in 200 ms blocks, and the wall time over the audio's length is printed against the 0.8 of real time
target (``benchmarks/streaming.py``'s), with the time of one step and the chunk's own latency.
``--pause S`` puts S seconds of room tone between the clips (a meeting's pauses), and ``--gate``
adds a runner per look-ahead through the voice gate ``woasr listen`` puts in front of such a
model (``live.gate``): pauses then reach no encoder step.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np

AUDIO = Path(os.environ.get("WOASR_SHARED_AUDIO", Path(__file__).parents[2] / "shared" / "audio"))
if not AUDIO.is_dir():
    AUDIO = Path("/work/shared/audio")
CLIPS = ["jfk.wav", "librispeech_1272-128104-0000.wav", "pyannote_sample.wav"]
TARGET = 0.8
BLOCK = 3200  # 200 ms


def large_streaming_model(lookaheads: list[int]) -> object:
    import torch
    from nemo.collections.asr.models import EncDecRNNTModel
    from omegaconf import OmegaConf

    labels = list(" abcdefghijklmnopqrstuvwxyz'")
    cfg = {
        "sample_rate": 16000, "labels": labels,
        "preprocessor": {
            "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
            "sample_rate": 16000, "normalize": "NA", "window_size": 0.025, "window_stride": 0.01,
            "features": 80, "n_fft": 512, "dither": 0.0, "pad_to": 0,
        },
        "encoder": {
            "_target_": "nemo.collections.asr.modules.ConformerEncoder", "feat_in": 80,
            "n_layers": 17, "d_model": 512, "n_heads": 8, "subsampling": "dw_striding",
            "subsampling_factor": 8, "subsampling_conv_channels": 256, "conv_kernel_size": 9,
            "ff_expansion_factor": 4, "self_attention_model": "rel_pos", "dropout": 0.0,
            "dropout_pre_encoder": 0.0, "dropout_emb": 0.0,
            "att_context_size": [[70, frames] for frames in lookaheads],
            "att_context_style": "chunked_limited",
            "conv_context_size": "causal", "causal_downsampling": True,
            "conv_norm_type": "layer_norm",
        },
        "model_defaults": {"enc_hidden": 512, "pred_hidden": 640},
        "decoder": {
            "_target_": "nemo.collections.asr.modules.RNNTDecoder", "normalization_mode": None,
            "random_state_sampling": False, "blank_as_pad": True,
            "prednet": {"pred_hidden": 640, "pred_rnn_layers": 1, "dropout": 0.0},
        },
        "joint": {
            "_target_": "nemo.collections.asr.modules.RNNTJoint", "log_softmax": None,
            "preserve_memory": False, "fuse_loss_wer": False,
            "jointnet": {"joint_hidden": 640, "activation": "relu", "dropout": 0.0},
        },
        "decoding": {"strategy": "greedy_batch", "greedy": {"max_symbols": 10}},
    }  # fmt: skip
    torch.manual_seed(0)
    model = EncDecRNNTModel(cfg=OmegaConf.create(cfg)).eval()
    with torch.no_grad():
        model.joint.joint_net[-1].bias[-1] += 4.0  # blank: few tokens, as a trained model
    return model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--lookahead",
        type=int,
        nargs="+",
        default=[13, 6, 1, 0],
        help="encoder frames of look-ahead (80 ms each); 70 %% (n + 1) == 0",
    )
    parser.add_argument("--repeat", type=int, default=1, help="times the clips are played")
    parser.add_argument(
        "--pause", type=float, default=0.0, help="seconds of room tone between the clips"
    )
    parser.add_argument(
        "--gate", action="store_true", help="also stream through the voice gate (woasr listen's)"
    )
    args = parser.parse_args()

    import logging

    logging.getLogger("nv_one_logger").setLevel(logging.ERROR)
    import torch
    from nemo.utils import logging as nemo_logging

    from woasr_cli.live.native import NativeStreamProcessor
    from woasr_cli.media.decode import decode_audio
    from woasr_cli.options import TranscribeOptions
    from woasr_cli.providers.nemo_streaming import CacheAwareStream

    nemo_logging.set_verbosity(nemo_logging.ERROR)
    torch.set_num_threads(args.threads)
    tone = decode_audio(AUDIO / "negative" / "room_tone_8s.wav")
    room = np.tile(tone, int(args.pause // 8) + 1)[: round(args.pause * 16000)]
    pieces = []
    for clip in [decode_audio(AUDIO / name) for name in CLIPS] * args.repeat:
        pieces += [clip, room] if len(room) else [clip]
    audio = np.concatenate(pieces[:-1] if len(room) else pieces)
    seconds = len(audio) / 16000
    load = os.getloadavg()
    print(
        f"# {seconds:.1f} s of audio ({args.pause:g} s of room tone between clips), "
        f"{args.threads} torch threads, load {load[0]:.2f}"
    )
    print(
        "| look-ahead | chunk | voice gate | steps | wall s | CPU s | of real time (target 0.8) "
        "| step median / p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    ok = True
    model = large_streaming_model(args.lookahead)
    options = TranscribeOptions(provider="fast_conformer")
    for lookahead in args.lookahead:
        for gated in (False, True) if args.gate else (False,):
            stream = CacheAwareStream(model, lookahead * 80)  # as --lookahead-ms asks
            processor = NativeStreamProcessor(stream, options, vad=gated)
            step_times: list[float] = []
            wall, cpu = time.perf_counter(), time.process_time()
            for pos in range(0, len(audio), BLOCK):
                began, before = time.perf_counter(), stream.steps
                processor.feed(audio[pos : pos + BLOCK])
                if stream.steps > before:
                    step_times.append((time.perf_counter() - began) / (stream.steps - before))
            processor.finish()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            ratio = wall / seconds
            ok &= ratio <= TARGET
            chunk_s = (lookahead + 1) * stream.frame_s
            steps = (
                f"{np.median(step_times) * 1000:.0f} / {np.percentile(step_times, 95) * 1000:.0f}"
                if step_times
                else "-"
            )
            verdict = "PASS" if ratio <= TARGET else "FAIL"
            print(
                f"| {lookahead} | {chunk_s:.2f} s | {'on' if gated else 'off'} | {stream.steps} | "
                f"{wall:.1f} | {cpu:.1f} | {ratio:.3f} = {ratio / TARGET:.2f}x target {verdict} | "
                f"{steps} |"
            )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""The WebSocket ``/v1/stream`` route: live transcription for any client (FastAPI router).

Protocol (one stream per connection)::

    client: {"model": "tiny.en", "language": "en", "sample_rate": 16000}   text, first
            (optional "provider": another engine than the server's, with its own default
            model unless "model" names one; "channels": 1-8, interleaved, mixed to one;
            "formats": ["srt", "vtt"]
            as ``-f`` takes them: the whole transcript in those formats at the end;
            "lookahead_ms": a cache-aware streaming model's look-ahead, as ``--lookahead-ms``)
    client: <binary PCM s16le frames, 100-250 ms each (any size works)> ...
            (or a media file in pieces, as a browser's MediaRecorder sends WebM/Opus)
    client: {"type": "end"}
    server: {"type": "partial" | "final", "start", "end", "text", "words"} ...
            (the tail is flushed as finals after "end"),
            {"type": "files", "files": {"srt": "...", ...}} (with "formats"), then close 1000

Errors come as ``{"type": "error", "message"}`` before the close: 1008 bad or missing API key,
1007 bad config (or frames of a media file that cannot be decoded), 1003 a text frame
other than ``{"type": "end"}`` (audio goes in binary frames), 1013 the server
is at its stream limit (try again later), 1011 the model failed, 1001 no message for
``StreamLimits.idle_s`` (the stream is flushed first), 1008 more audio waiting for its pass
than ``StreamLimits.max_backlog_s`` (a file pushed faster than real time: the OpenAI-compatible
route is for files), 1012 the server is stopping (a stream open then is ended as at its
client's "end" first: :class:`~woasr_cli.live.stream_set.LiveStreams`).
With an API key set, a client sends ``Authorization: Bearer KEY``; browsers, which cannot set
headers on a WebSocket, may put ``?api_key=KEY`` in the URL or ``"api_key"`` in the config.

Inference never runs on the event loop: each stream's passes run in a worker pool of
``max_streams`` threads, and streams on the same provider/model share one loaded model (the
server's :class:`~woasr_cli.model_pool.ModelPool`: a stream holds its model until it ends, and
is refused with 1013 when every model slot is in use by other work).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from woasr_cli.errors import ModelNotFound, NeedsWholeFile, UsageError, WoasrError
from woasr_cli.live.backlog import Backlog, BacklogFull
from woasr_cli.live.events import StreamEvent
from woasr_cli.live.media_frames import MediaFrames
from woasr_cli.live.pcm import PcmConverter
from woasr_cli.live.pcm_format import pcm_format_error
from woasr_cli.live.processor import LiveProcessor, StreamConfig
from woasr_cli.live.setup import live_formats, live_options, open_processor
from woasr_cli.live.stream_set import LiveStreams
from woasr_cli.live.writers import GrowingTranscript
from woasr_cli.media.audio import Audio
from woasr_cli.model_pool import ModelPool, ModelsBusy
from woasr_cli.options import TranscribeOptions
from woasr_cli.outputs import render

CONFIG_TIMEOUT = 10.0  # seconds a client has to send its config
_SR = 16000
_FEED_SLICE = 30 * _SR  # samples a worker call takes at most
_T = TypeVar("_T")
_CONFIG_FIELDS = (
    "provider", "model", "language", "sample_rate", "channels", "formats", "lookahead_ms",
    "api_key",
)  # fmt: skip


@dataclass(frozen=True)
class StreamLimits:
    """What one stream may hold of the server: seconds of received audio not yet taken by a
    pass (past it the stream is closed with 1008: a client pushing a long file faster than
    real time), and seconds without any message before its stream is ended (flushed, then
    closed with 1001)."""

    max_backlog_s: float = 600.0
    idle_s: float = 60.0


class _Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def stream_router(
    defaults: TranscribeOptions | None = None,
    *,
    api_key: str | None = None,
    max_streams: int = 2,
    config: StreamConfig | None = None,
    models: ModelPool | None = None,
    limits: StreamLimits | None = None,
    streams: LiveStreams | None = None,
) -> APIRouter:
    """A router with ``/v1/stream``; ``defaults`` gives the provider/model/device a client does
    not name. Include it in the server's app: ``app.include_router(stream_router(...))``.
    ``streams``: where its open streams are kept, for the server to end them when it stops
    (:meth:`LiveStreams.end_all`)."""
    base = defaults or TranscribeOptions()
    streams = streams or LiveStreams()
    pool = models or ModelPool()
    limits = limits or StreamLimits()
    workers = ThreadPoolExecutor(max_streams, thread_name_prefix="woasr-stream")
    active = 0
    router = APIRouter()

    @router.websocket("/v1/stream")
    async def stream(ws: WebSocket) -> None:
        nonlocal active
        await ws.accept()
        authorized = api_key is None or _key_ok(_offered_key(ws), api_key)
        first: dict[str, Any] | None = None
        if not authorized:
            first = await _first_message(ws)
            if first is None or not _key_ok(first.get("api_key"), api_key):
                return await _close(ws, 1008, "invalid or missing API key")
        if streams.stopping:
            return await _close(ws, 1012, "the server is stopping; try again later")
        if active >= max_streams:
            return await _close(ws, 1013, f"at the limit of {max_streams} streams; try later")
        active += 1
        stop, _ = streams.open()
        try:
            if first is None:
                first = await _first_message(ws)
            if first is None:
                return await _close(ws, 1007, "the first message must be a JSON config")
            try:
                options, pcm, formats, lookahead_ms = _parse_config(first, base)
            except _Refused as exc:
                return await _close(ws, exc.code, str(exc))
            loop = asyncio.get_running_loop()
            acquire = functools.partial(pool.acquire, options, wait=False)
            try:
                loaded = await loop.run_in_executor(workers, acquire)
            except ModelsBusy as exc:
                return await _close(ws, 1013, str(exc))
            except (UsageError, ModelNotFound) as exc:  # the client's config: no such model
                return await _close(ws, 1007, str(exc))
            except WoasrError as exc:  # the server's (an extra it lacks, a model that fails)
                return await _close(ws, 1011, str(exc))
            try:
                try:
                    processor = open_processor(
                        options, config, loaded.transcriber, lookahead_ms=lookahead_ms
                    )
                except UsageError as exc:  # a setting this model does not have
                    return await _close(ws, 1007, str(exc))
                except WoasrError as exc:
                    return await _close(ws, 1011, str(exc))
                files = _Files(options, formats) if formats else None
                await _serve(ws, processor, pcm, workers, limits, files, stop)
            finally:
                pool.release(loaded)
        finally:
            active -= 1
            streams.close(stop)

    return router


async def _serve(
    ws: WebSocket,
    processor: LiveProcessor,
    resample: PcmConverter,
    workers: ThreadPoolExecutor,
    limits: StreamLimits,
    files: _Files | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Receive frames on one task, run passes on another: each pass takes every frame that
    arrived while the last one ran. With ``files``, the committed words are kept and sent
    rendered before the stream closes normally (or for being idle). ``stop`` set (the server
    stopping) ends the input as the client's "end" would."""
    loop = asyncio.get_running_loop()
    passes = _Passes(loop, workers)
    arrived = Backlog(round(limits.max_backlog_s * _SR))
    idle = False
    ended = False  # the input: end_of_input() has begun
    media: MediaFrames | None = None  # frames that are a media file, decoded on a thread
    decoded = asyncio.Event()  # its decoder stopped
    failed: list[Exception] = []  # what its decoder's blocks ran into

    def put_decoded(block: Audio) -> None:
        try:
            arrived.put(block)
        except BacklogFull as exc:
            failed.append(exc)

    def deliver(block: Audio) -> None:  # on the decoder's thread
        loop.call_soon_threadsafe(put_decoded, block)

    def decoder_ended() -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: the server is stopping
            loop.call_soon_threadsafe(decoded.set)

    def check() -> None:
        if media is not None and media.error is not None:
            why = f"cannot decode the {media.kind} sent: {media.error}"
            if isinstance(media.error, NeedsWholeFile):
                why += "; POST the file to /v1/audio/transcriptions"
            failed.append(_Refused(1007, why))
        if failed:
            raise failed[0]

    async def end_of_input() -> None:
        nonlocal ended
        ended = True
        if media is not None:
            media.close()
            await decoded.wait()
            check()
        else:
            arrived.put(resample.flush())
        arrived.put(None)

    async def watch() -> None:
        """After the end of the input: the client leaving is seen at once (its passes stop),
        and whatever else it sends is let go (a second "end")."""
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))

    async def receive() -> None:
        nonlocal idle, media
        first = True
        while True:
            try:
                message = await asyncio.wait_for(ws.receive(), limits.idle_s)
            except TimeoutError:  # a client that went quiet: end its stream, free its slot
                idle = True
                await end_of_input()
                return await watch()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            check()
            if message.get("bytes"):
                data = message["bytes"]
                if media is None and _is_end_bytes(data):
                    # {"type": "end"} sent as bytes (Node's ws.send(Buffer), Python's .encode())
                    # was fed as 15 bytes of audio: the stream ended only as idle, 60 s on.
                    await end_of_input()
                    return await watch()
                if first:
                    first = False
                    kind, data = _first_frame(data, resample)
                    if kind is not None:
                        media = MediaFrames(kind, deliver, decoder_ended)
                if media is not None:
                    media.feed(data)
                else:
                    arrived.put(resample(data))
            elif message.get("text") is not None:
                if _is_end(message["text"]):
                    await end_of_input()
                    # Not watched, a client that left after "end" held its slot until every
                    # pass of its audio had run, for no one: the next client got 1013.
                    return await watch()
                # Audio sent as text (base64, say) was dropped without a word: the stream then
                # ended "normally" with no text at all.
                raise _Refused(
                    1003, 'audio goes in binary frames; the only text frame is {"type": "end"}'
                )

    async def work() -> None:
        while True:
            items = await arrived.take()
            blocks = [b for b in items if b is not None]
            if blocks:
                audio = np.concatenate(blocks)
                # Half a minute a call: a client that pushed minutes at once gets its text as
                # it comes, and a stream that ends leaves at most one slice running.
                for at in range(0, len(audio), _FEED_SLICE):
                    piece = audio[at : at + _FEED_SLICE]
                    await _send(ws, await passes.run(processor.feed, piece), files)
            if any(item is None for item in items):
                await _send(ws, await passes.run(processor.finish), files)
                if files is not None:
                    rendered = await passes.run(files.render, processor)
                    message = {"type": "files", "files": rendered}
                    await ws.send_text(json.dumps(message, ensure_ascii=False))
                return

    receiver: asyncio.Task[None]  # receive(), then watch()

    async def stopped() -> None:  # the server stops: the input ends here, the tail is sent
        nonlocal receiver
        await (stop or asyncio.Event()).wait()
        if ended:
            return
        receiver.cancel()
        await asyncio.wait({receiver})
        if receiver.cancelled():  # else it failed, its error read by the loop below
            await end_of_input()
            receiver = asyncio.create_task(watch())

    receiver = asyncio.create_task(receive())
    worker = asyncio.create_task(work())
    stopper = asyncio.create_task(stopped())
    try:
        watched = {stopper, worker}
        while not worker.done():  # the receiver watches the client until the worker is done
            done, _ = await asyncio.wait(watched | {receiver}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled():  # a receiver the stop replaced
                    task.result()
            watched -= done
        if idle:
            await _close(ws, 1001, f"no audio for {limits.idle_s:g} s: the stream was ended")
        else:
            await ws.close(1000)
    except _Refused as exc:
        await _close(ws, exc.code, str(exc))
    except BacklogFull as exc:
        await _close(
            ws,
            1008,
            f"{exc} to be transcribed: send audio in real time, or POST a file to "
            "/v1/audio/transcriptions",
        )
    except WebSocketDisconnect:
        pass
    except WoasrError as exc:  # a pass that failed: the client is told why, not just 1006
        await _close(ws, 1007 if isinstance(exc, UsageError) else 1011, str(exc))
    finally:
        for task in (stopper, receiver, worker):
            task.cancel()
            # Both may have ended by the time one's error is read (the client gone while its
            # events were being sent): the other's is read here, not logged by asyncio as
            # "Task exception was never retrieved" with a traceback after a normal close.
            if task.done() and not task.cancelled():
                task.exception()
        if media is not None:
            media.drop()
        # A pass cannot be stopped midway: the stream keeps its slot (and its model) while
        # its last one runs on, a worker thread and the CPU still busy with it.
        await passes.settle()


class _Passes:
    """A stream's passes on the worker pool, one at a time. A pass goes on in its thread when
    the stream stops (its client gone); :meth:`settle` waits for it, and no other starts."""

    def __init__(self, loop: asyncio.AbstractEventLoop, workers: ThreadPoolExecutor) -> None:
        self.loop = loop
        self.workers = workers
        self.running: asyncio.Future[Any] | None = None

    async def run(self, work: Callable[..., _T], *args: Any) -> _T:
        self.running = self.loop.run_in_executor(self.workers, work, *args)
        # shielded: cancelling the stream leaves the pass to finish, waited for by settle()
        result: _T = await asyncio.shield(self.running)
        return result

    async def settle(self) -> None:
        running, self.running = self.running, None
        if running is not None:
            try:
                await asyncio.wait({running})
            except asyncio.CancelledError:  # the server quits at once (a second Ctrl-C)
                return
            if not running.cancelled():
                running.exception()  # read: a pass that failed for a client gone is not logged


def _first_frame(data: bytes, pcm: PcmConverter) -> tuple[str | None, bytes]:
    """What the frames are, from the first: raw PCM (None; a WAV header in front of 16 kHz
    mono 16-bit samples, which some clients write first, is dropped), or a media file of the
    kind returned (a browser's MediaRecorder sends WebM; its bytes were taken for samples)."""
    from woasr_cli.media.sniff import container_at_start, mpegts_at_start, wav_samples

    kind = container_at_start(data[:12]) or ("MPEG-TS" if mpegts_at_start(data) else None)
    if kind == "WAV" and (pcm.rate, pcm.channels) == (_SR, 1):
        found = wav_samples(data)
        if found is not None and found[1]:
            return None, data[found[0] :]
    return kind, data


async def _send(ws: WebSocket, events: list[StreamEvent], files: _Files | None = None) -> None:
    for event in events:
        if files is not None and event.type == "final":
            files.growing.add(event.words)
        await ws.send_text(json.dumps(event.to_dict(), ensure_ascii=False))


class _Files:
    """The stream's committed words, rendered at its end in the formats its client asked for
    (the library's writers, as ``woasr listen -o`` writes them)."""

    def __init__(self, options: TranscribeOptions, formats: tuple[str, ...]) -> None:
        self.growing = GrowingTranscript(options.provider, options.model or "", "stream")
        self.formats = formats

    def render(self, processor: LiveProcessor) -> dict[str, str]:
        transcript = self.growing.transcript(processor.language, processor.received / _SR)
        return render(transcript, self.formats)


async def _close(ws: WebSocket, code: int, message: str) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await ws.send_text(json.dumps({"type": "error", "message": message}))
        await ws.close(code, message[:120])


async def _first_message(ws: WebSocket) -> dict[str, Any] | None:
    try:
        text = await asyncio.wait_for(ws.receive_text(), CONFIG_TIMEOUT)
        data = json.loads(text)
    except (TimeoutError, json.JSONDecodeError, KeyError, WebSocketDisconnect):
        return None
    return data if isinstance(data, dict) else None


def _offered_key(ws: WebSocket) -> str | None:
    header = ws.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return ws.query_params.get("api_key")


def _key_ok(offered: object, expected: str | None) -> bool:
    if expected is None:
        return True
    return isinstance(offered, str) and hmac.compare_digest(offered.encode(), expected.encode())


def _parse_config(
    data: dict[str, Any], base: TranscribeOptions
) -> tuple[TranscribeOptions, PcmConverter, tuple[str, ...], int | None]:
    unknown = [key for key in data if key not in _CONFIG_FIELDS]
    if unknown:
        # A field the server does not know was let go: a browser's {"sampleRate": 48000} (the
        # Web Audio name) streamed 48 kHz audio taken for 16 kHz, and the text was "oooh Ah Oh".
        raise _Refused(
            1007,
            f"unknown config field {unknown[0]!r}; the config takes {', '.join(_CONFIG_FIELDS)}",
        )
    rate = data.get("sample_rate", _SR)
    channels = data.get("channels", 1)
    wrong = pcm_format_error(rate, channels)
    if wrong is not None:
        raise _Refused(1007, wrong)
    lookahead = data.get("lookahead_ms")
    if lookahead is not None and (
        not isinstance(lookahead, int) or isinstance(lookahead, bool) or not 0 <= lookahead <= 10000
    ):
        raise _Refused(1007, "lookahead_ms must be a whole number of ms from 0 to 10000")
    changes: dict[str, Any] = {}
    for key in ("provider", "model", "language"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise _Refused(1007, f"{key} must be a string")
        if value:
            changes[key] = value
    if changes.get("provider", base.provider) != base.provider and "model" not in changes:
        # the server's model is its provider's: another engine gets its own default model
        changes["model"] = None
    wanted = data.get("formats")
    if wanted is not None and not (
        isinstance(wanted, str)
        or (isinstance(wanted, list) and all(isinstance(f, str) for f in wanted))
    ):
        raise _Refused(1007, 'formats must be a list of format names, e.g. ["srt", "vtt"]')
    try:
        formats = live_formats(wanted) if wanted else ()
        options = live_options(base.with_changes(**changes))
        return options, PcmConverter(rate, channels), formats, lookahead
    except WoasrError as exc:
        raise _Refused(1007, str(exc)) from None


def _is_end_bytes(data: bytes) -> bool:
    return len(data) <= 64 and data.lstrip()[:1] == b"{" and _is_end(data.decode("latin-1"))


def _is_end(text: str) -> bool:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and data.get("type") == "end"

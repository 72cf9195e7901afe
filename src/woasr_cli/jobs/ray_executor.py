"""``--executor ray``: the batch spread over the actors of a Ray cluster, the manifest still here.

The driver (the process that runs the batch, e.g. the CLI) registers and claims jobs in the
SQLite manifest exactly as the local runner does (fingerprints, finished files skipped, leases
kept alive), hands the claimed files to Ray actors (:class:`~woasr_cli.jobs.ray_worker.FileWorker`,
one model each, several files in flight each so woasr's batching works across them), and is the
only writer of the manifest and of the outputs: it records each actor's checkpoints as it polls
them and writes each file's outputs atomically when its transcript comes back.

Faults: a file whose actor (or node) dies is handed to another actor, at most ``MAX_ATTEMPTS``
times, then failed with the reason; a dead actor is replaced. A killed driver leaves its jobs
leased to a dead owner: the next run takes them over (at once on the same host) and resumes
them from their checkpoints. Ray is imported only here, only when this executor is chosen.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from woasr_cli.errors import (
    InputError,
    LeaseLost,
    ManifestError,
    OutputError,
    UsageError,
    first_line,
)
from woasr_cli.events import Event, Reporter, null_reporter
from woasr_cli.jobs.detected import detected, language_meta
from woasr_cli.jobs.manifest import Job, Manifest
from woasr_cli.jobs.ray_worker import FileWorker, transcript_from_wire
from woasr_cli.jobs.rewrite import packed
from woasr_cli.jobs.runner import (
    HEARTBEAT_S,
    LEASE_S,
    BatchResult,
    BatchRunner,
    PlannedJob,
    _failed_since,
    one_line,
)
from woasr_cli.jobs.states import JobState
from woasr_cli.jobs.workers import _rebuild
from woasr_cli.options import TranscribeOptions
from woasr_cli.outputs import drop_partial_writes, output_paths, write_outputs
from woasr_cli.runtime import allocator_env, blas_env

log = logging.getLogger("woasr.jobs")

MAX_ATTEMPTS = 3  # a file is handed to at most this many actors that die under it
POLL_S = 1.0  # how often the driver collects progress and checkpoints from the actors
NAMESPACE = "woasr"  # actors are named: `ray.get_actor(worker, namespace="woasr")`
_SORT_AT_MOST = 2000  # files probed for their length before the first is handed out
_MAX_CONCURRENCY = 32  # actor threads: its files in flight plus poll()/stop() calls


@dataclass(frozen=True)
class RayExecutor:
    """Where and how wide to run: ``address`` None starts a local Ray sized to this machine;
    ``workers`` 0 means one actor per node (per ``gpus_per_worker`` GPUs when that is set);
    ``shared_fs`` None means paths when every node is this host, bytes otherwise."""

    address: str | None = None
    workers: int = 0
    gpus_per_worker: float = 0.0
    shared_fs: bool | None = None

    def run_batch(
        self,
        jobs: list[PlannedJob],
        options: TranscribeOptions,
        manifest_path: Path,
        *,
        reporter: Reporter = null_reporter,
        should_stop: Callable[[], bool] = lambda: False,
        force: bool = False,
    ) -> BatchResult:
        if self.workers < 0 or self.gpus_per_worker < 0:
            raise UsageError("--ray-workers and --ray-gpus-per-worker cannot be negative")
        ray: ModuleType | None = None
        started_here = False
        if self.address is None:
            # Ray missing exits 2 before any work; a local instance (seconds to start) is
            # started only for files left to do: a rerun of a finished batch just skips them.
            import_ray(None)
        else:
            ray, started_here = connect(self.address)  # before any work: a bad cluster exits 2
        try:
            with Manifest.open(manifest_path) as manifest:
                runner = BatchRunner(manifest, options, reporter=reporter, should_stop=should_stop)
                result = BatchResult()
                runner.report(Event("batch_started", total_files=len(jobs)))
                registered = runner.prepare(jobs, force, result)
                if registered and not result.interrupted:
                    if ray is None:
                        ray, started_here = connect(None)
                    _Driver(ray, runner, self, result).run(registered)
                runner.report(Event("batch_done", totals=manifest.totals_by_state()))
                return result
        finally:
            if started_here and ray is not None:
                ray.shutdown()


def import_ray(address: str | None) -> ModuleType:
    """Ray, imported (with woasr's settings for a local instance when ``address`` is None), or
    the one-line reason it is missing."""
    if address is None:
        # A local instance started here is woasr's own, and woasr sends nothing anywhere: Ray
        # reports usage to usage-stats.ray.io by default (a user's own setting wins).
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        # Token authentication, as Ray turns it on for a new local instance, but asked for: Ray
        # then does not print its "Token authentication is enabled ..." warning on the user's
        # terminal (a user's own RAY_AUTH_MODE wins, "disabled" included).
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    if address is None and "ray" not in sys.modules:
        # A local instance is for this machine only: its processes listen on 127.0.0.1 instead
        # of the host's network address (Ray does so on macOS and Windows by default).
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        raise UsageError("--executor ray needs Ray: pip install 'woasr[ray]'") from None
    return ray


def connect(address: str | None) -> tuple[ModuleType, bool]:
    """Ray, connected; True when this call started (and so must stop) a local instance."""
    ray = import_ray(address)
    if ray.is_initialized():  # the caller's own connection (a notebook, a test session)
        return ray, False
    kwargs: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
    if address is None:
        kwargs.update(include_dashboard=False, _node_ip_address="127.0.0.1")
    else:
        _check_reachable(address)
    try:
        with _signal_handlers_kept():
            # "local": a new instance, as documented. Ray's own default (None) joins the cluster
            # of RAY_ADDRESS or of the last `ray start` on this machine, read from a file that a
            # cluster which did not stop cleanly leaves behind: woasr then waited on a dead
            # address for minutes, Ray's warnings scrolling by.
            ray.init(address=address or "local", **kwargs)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError ...
        where = f"at {address}" if address else "locally"
        detail = first_line(exc)
        if address is not None and os.environ.get("RAY_AUTH_MODE", "").lower() != "token":
            # Ray's own line names no cause ("Failed to connect to Ray cluster at IP:PORT", an
            # address of its choosing) after a minute of retries refused for want of a token.
            detail += (
                "; a cluster with token authentication (Ray's default) needs RAY_AUTH_MODE=token"
                " and its token (~/.ray/auth_token or RAY_AUTH_TOKEN)"
            )
        raise UsageError(f"cannot start or reach a Ray cluster {where}: {detail}") from None
    return ray, True


@contextlib.contextmanager
def _signal_handlers_kept() -> Iterator[None]:
    """``ray.init`` puts in its own SIGTERM handler (``sys.exit``): the batch then ended with
    exit 1 or 15 and no ``batch_done`` event instead of stopping as the local executor does
    (143, its jobs interrupted). The caller's handlers are put back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    kept = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    wakeup = signal.set_wakeup_fd(-1)  # read (the CLI's signal watcher listens there) ...
    signal.set_wakeup_fd(wakeup, warn_on_full_buffer=False)  # ... and left as it was
    try:
        yield
    finally:
        for sig, handler in kept.items():
            if handler is not None:
                signal.signal(sig, handler)
        signal.set_wakeup_fd(wakeup, warn_on_full_buffer=False)


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """HOST:PORT answers at all, in seconds, instead of Ray's minute of retries."""
    if address == "auto" or "://" in address:
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(
            f"--ray-address must be auto, HOST:PORT or ray://HOST:PORT, not '{address}'"
        )
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"--ray-address {address}: no Ray cluster answers ({reason})") from None


@dataclass
class _Slot:
    """One actor: its handle, and once it has loaded its model, how many files it takes."""

    index: int
    name: str
    handle: Any
    ready_ref: Any
    width: int = 0  # 0 until ready
    label: str = ""
    busy: int = 0
    dead: bool = False
    poll_ref: Any = None


@dataclass
class _Flight:
    planned: PlannedJob
    job_id: int
    resumed_from: float
    attempt: int = 1
    slot: _Slot | None = None
    avoid: set[int] = field(default_factory=set)  # slots whose actors died under this file
    lost: bool = False
    reported: float = 0.0  # the progress last reported


def _label(flight: _Flight) -> str | None:
    """The actor a file failed on, as the events name it (None: it never reached one)."""
    return flight.slot.label if flight.slot is not None else None


class _Driver:
    def __init__(
        self, ray: ModuleType, runner: BatchRunner, config: RayExecutor, result: BatchResult
    ) -> None:
        self.ray = ray
        self.runner = runner
        self.manifest = runner.manifest
        self.options = runner.options
        self.config = config
        self.result = result
        self.slots: list[_Slot] = []
        self.replacements = 0
        self.last_death = ""  # why the last actor died, for files no actor is left to run
        self.running: dict[Any, _Flight] = {}  # object ref of transcribe() -> its file
        self.todo: deque[_Flight] = deque()
        self.waiting: list[tuple[PlannedJob, Job]] = []  # held by another process
        self.stopping = False
        self.payloads: dict[int, Any] = {}  # job id -> object ref of its bytes (no shared fs)

    # -- the loop ----------------------------------------------------------------------------
    def run(self, registered: list[tuple[PlannedJob, Job]]) -> None:
        count, cpus, gpus, shared = self._plan(len(registered))
        self.shared_fs = shared
        self.cpus = cpus
        self.actor_cls = self.ray.remote(FileWorker)
        self.actor_resources = {"num_cpus": cpus, "num_gpus": gpus}
        # glibc tuned from the actor's first allocation and one OpenBLAS thread
        # (woasr_cli.runtime): its process is started for it, as an actor with its own
        # environment is
        env = {**allocator_env(), **blas_env()}
        self.runtime_env = {"env_vars": env}
        self.tag = self.runner.owner.rsplit(":", 1)[-1]
        for i in range(count):
            self.slots.append(self._new_slot(i))
        pending = deque(_longest_first(registered))
        last_beat = last_poll = last_wait = time.monotonic()
        try:
            while pending or self.todo or self.running or self.waiting:
                if self.runner.should_stop() and not self.stopping:
                    self._stop_all()
                if self.stopping:
                    pending.clear()
                    self.todo.clear()
                    self.waiting.clear()
                    if not self.running:
                        break
                self._fill(pending)
                self._wait_once()
                now = time.monotonic()
                if now - last_poll >= POLL_S:
                    self._poll()
                    last_poll = now
                if now - last_beat >= HEARTBEAT_S:
                    self._renew()
                    last_beat = now
                if self.waiting and not pending and now - last_wait >= 0.5:
                    pending.extend(self.waiting)  # claimed elsewhere: look again
                    self.waiting.clear()
                    last_wait = now
                if not any(not s.dead for s in self.slots) and (self.todo or pending):
                    self._fail_rest(pending, f"no Ray workers left (last: {self.last_death})")
        finally:
            for slot in self.slots:
                self.ray.kill(slot.handle)

    def _plan(self, files: int) -> tuple[int, float, float, bool]:
        nodes = [n for n in self.ray.nodes() if n.get("Alive")]
        cpus = [float(n["Resources"].get("CPU", 0)) for n in nodes]
        total_gpus = sum(float(n["Resources"].get("GPU", 0)) for n in nodes)
        gpus = self.config.gpus_per_worker
        if gpus > 0 and total_gpus < gpus:
            raise UsageError(f"--ray-gpus-per-worker {gpus:g}: the cluster has {total_gpus:g} GPUs")
        if self.config.workers:
            count = self.config.workers
        elif gpus > 0:
            count = max(1, int(total_gpus // gpus))
        else:
            count = max(1, len(nodes))  # one actor per node: woasr batches inside a process
        count = max(1, min(count, files))
        biggest = max(cpus, default=1.0)
        if self.options.threads:
            per_actor = float(self.options.threads)
        else:
            per_actor = max(1.0, float(int(sum(cpus) // count)))
        per_actor = max(1.0, min(per_actor, biggest))
        shared = self.config.shared_fs
        if shared is None:
            here = {"127.0.0.1", _host_ip(self.ray)}
            shared = all(n.get("NodeManagerAddress") in here for n in nodes)
        return count, per_actor, gpus, shared

    def _new_slot(self, index: int) -> _Slot:
        name = f"woasr-{self.tag}-{index}-{self.replacements}"
        handle = self.actor_cls.options(
            name=name, namespace=NAMESPACE, max_concurrency=_MAX_CONCURRENCY, max_restarts=0,
            runtime_env=self.runtime_env, **self.actor_resources,
        ).remote(self.options, name, self.cpus)  # fmt: skip
        return _Slot(index, name, handle, handle.info.remote())

    def _fill(self, pending: deque[tuple[PlannedJob, Job]]) -> None:
        # A fair share each, so the first actor to load its model does not take every file.
        left = len(pending) + len(self.todo) + len(self.running)
        share = -(-left // max(1, len(self.live_slots())))
        for slot in self.slots:
            if slot.dead or not slot.width:
                continue
            while slot.busy < min(slot.width, share):
                flight = self._next_for(slot, pending)
                if flight is None:
                    break
                self._submit(flight, slot)

    def _next_for(self, slot: _Slot, pending: deque[tuple[PlannedJob, Job]]) -> _Flight | None:
        for flight in list(self.todo):  # retries first, on an actor that has not failed them
            if slot.index not in flight.avoid or len(self.live_slots()) <= 1:
                self.todo.remove(flight)
                return flight
        while pending and not self.stopping:
            claimed = self._claim(*pending.popleft())
            if claimed is not None:
                return claimed
        return None

    def live_slots(self) -> list[_Slot]:
        return [s for s in self.slots if not s.dead]

    def _claim(self, planned: PlannedJob, job: Job) -> _Flight | None:
        """As the local runner: take over a dead owner's job, skip one failed in this run,
        wait for one another process holds."""
        manifest = self.manifest
        manifest.reclaim_dead_owner(job.id)
        latest = manifest.get(job.id)
        if latest is None or _failed_since(latest, self.runner.started_at):
            return None
        if not manifest.claim(job.id, self.runner.owner, LEASE_S):
            current = manifest.get(job.id)
            if current is not None and current.state == JobState.RUNNING:
                self.waiting.append((planned, current))
            elif current is not None and current.state == JobState.DONE:
                self.result.elsewhere += 1
            return None
        if latest.attempts:  # tried before: a killed run may have left parts of its files
            drop_partial_writes(output_paths(planned.stem, self.options.formats))
        _, offset = manifest.checkpoints(job.id)
        return _Flight(planned, job.id, offset)

    def _submit(self, flight: _Flight, slot: _Slot) -> None:
        path = flight.planned.item.path
        segments, offset = self.manifest.checkpoints(flight.job_id)
        language, probability = detected(self.manifest.meta(flight.job_id))
        resume = (
            {"segments": segments, "offset": offset, "language": language,
             "language_probability": probability}
            if segments or offset > 0 or language
            else None
        )  # fmt: skip
        source: Any = str(path)
        if not self.shared_fs:
            if flight.job_id not in self.payloads:
                try:
                    self.payloads[flight.job_id] = self.ray.put(path.read_bytes())
                except OSError as exc:
                    self._fail_claimed(flight, str(InputError(f"{path}: {exc.strerror}")))
                    return
            source = self.payloads[flight.job_id]
        ref = slot.handle.transcribe.remote(str(path), source, path.suffix, resume)
        flight.slot = slot
        slot.busy += 1
        self.running[ref] = flight
        reason = f"attempt {flight.attempt} of {MAX_ATTEMPTS}" if flight.attempt > 1 else None
        self.runner.report(Event("started", input=str(path), worker=slot.label, reason=reason,
                                 resumed_from=offset if offset > 0 else None))  # fmt: skip

    def _wait_once(self) -> None:
        starting = [s.ready_ref for s in self.slots if not s.dead and not s.width]
        polls = [s.poll_ref for s in self.slots if s.poll_ref is not None]
        refs = list(self.running) + starting + polls
        if not refs:
            time.sleep(0.1)
            return
        ready, rest = self.ray.wait(refs, num_returns=1, timeout=0.5)
        if rest:
            ready += self.ray.wait(rest, num_returns=len(rest), timeout=0)[0]
        for ref in ready:
            if ref in self.running:
                self._finished(ref, self.running.pop(ref))
            else:
                for slot in self.slots:
                    if slot.ready_ref == ref and not slot.width and not slot.dead:
                        self._ready(slot)
                    elif slot.poll_ref == ref:
                        self._polled(slot)

    # -- actors ------------------------------------------------------------------------------
    def _ready(self, slot: _Slot) -> None:
        try:
            info = self.ray.get(slot.ready_ref)
        except self.ray.exceptions.RayError as exc:
            self._actor_died(slot, exc)
            return
        if info["error"]:
            self._stop_all()
            raise _rebuild(*info["error"])
        slot.width = int(info["width"])
        slot.label = f"{slot.name}@{info['node_ip']}/{str(info['node_id'])[:8]}"

    def _actor_died(self, slot: _Slot, exc: BaseException) -> None:
        if slot.dead:
            return
        slot.dead = True
        self.ray.kill(slot.handle)
        why = self.last_death = first_line(exc)
        for ref, flight in list(self.running.items()):
            if flight.slot is slot:
                del self.running[ref]
                self._retry(flight, f"worker {slot.label or slot.name} died: {why}")
        if self.replacements < 2 * max(1, len(self.slots)) and not self.stopping:
            self.replacements += 1
            self.slots[slot.index] = self._new_slot(slot.index)

    def _retry(self, flight: _Flight, why: str) -> None:
        if flight.slot is not None:
            flight.avoid.add(flight.slot.index)
            flight.slot = None
        if flight.attempt >= MAX_ATTEMPTS:
            self._fail_claimed(flight, f"{why} ({flight.attempt} attempts)")
            return
        flight.attempt += 1
        self.todo.appendleft(flight)

    def _stop_all(self) -> None:
        self.stopping = True
        self.result.interrupted = True
        for slot in self.live_slots():
            slot.handle.stop.remote()

    def _poll(self) -> None:
        for slot in self.live_slots():
            if slot.width and slot.busy and slot.poll_ref is None:
                slot.poll_ref = slot.handle.poll.remote()

    def _polled(self, slot: _Slot) -> None:
        ref, slot.poll_ref = slot.poll_ref, None
        try:
            snapshot: dict[str, dict[str, Any]] = self.ray.get(ref)
        except self.ray.exceptions.RayError:
            return  # a dead actor shows in its transcribe() calls
        by_input = {str(f.planned.item.path): f for f in self.running.values() if f.slot is slot}
        for name, state in snapshot.items():
            flight = by_input.get(name)
            if flight is None or flight.lost:
                continue  # finished (or taken over) since: its result is what counts
            try:
                if state["language"]:
                    detection = language_meta(state["language"], state["language_probability"])
                    self.manifest.update_meta(flight.job_id, detection)
                if state["segments"] or state["done_seconds"]:
                    self.manifest.checkpoint(flight.job_id, self.runner.owner, state["segments"],
                                             state["done_seconds"], state["duration"])  # fmt: skip
            except LeaseLost as exc:
                self._lost(flight, exc)
                continue
            except ManifestError:
                continue  # busy for a moment: the next poll carries on
            if state["done_seconds"] <= flight.reported:
                continue
            flight.reported = state["done_seconds"]
            self.runner.report(Event("progress", input=name, done_seconds=state["done_seconds"],
                                     duration=state["duration"], worker=slot.label))  # fmt: skip

    def _renew(self) -> None:
        for flight in list(self.running.values()) + list(self.todo):
            if flight.lost:
                continue
            try:
                self.manifest.renew(flight.job_id, self.runner.owner, LEASE_S)
            except LeaseLost as exc:
                self._lost(flight, exc)
            except ManifestError:
                continue

    # -- one file's outcome ------------------------------------------------------------------
    def _finished(self, ref: Any, flight: _Flight) -> None:
        slot = flight.slot
        assert slot is not None
        slot.busy -= 1
        try:
            outcome: dict[str, Any] = self.ray.get(ref)
        except self.ray.exceptions.RayActorError as exc:
            slot.busy += 1
            self.running[ref] = flight
            self._actor_died(slot, exc)
            return
        except self.ray.exceptions.RayError as exc:
            # A task error's own first line is Ray's header (`ray::FileWorker.transcribe()
            # (pid=..., ...)`, colored): the reason is the error it wraps.
            cause = getattr(exc, "cause", None)
            self._fail_claimed(flight, one_line(cause) if cause is not None else first_line(exc))
            return
        if flight.lost:
            return
        name = str(flight.planned.item.path)
        status = outcome["status"]
        if status == "interrupted":
            self.manifest.interrupt(flight.job_id, self.runner.owner)
            self.runner.report(Event("interrupted", input=name, worker=slot.label))
        elif status == "fatal":
            self.manifest.fail(flight.job_id, self.runner.owner,
                               "batch stopped: provider/model unavailable")  # fmt: skip
            self._stop_all()
            raise _rebuild(outcome["kind"], outcome["reason"])
        elif status == "failed":
            self._fail_claimed(flight, outcome["reason"])
        else:
            self._record(flight, outcome, slot)
        self.payloads.pop(flight.job_id, None)

    def _record(self, flight: _Flight, outcome: dict[str, Any], slot: _Slot) -> None:
        name = str(flight.planned.item.path)
        elapsed = float(outcome["elapsed"])
        try:
            transcript = transcript_from_wire(outcome["transcript"])
            transcript.source = name  # the actor may have read a temporary copy
            transcript.options = self.options.public_dict()  # as asked, not the actor's threads
            outputs = write_outputs(transcript, flight.planned.stem, self.options.formats,
                                    self.runner.format_options)  # fmt: skip
            self.manifest.finish(flight.job_id, self.runner.owner, [str(p) for p in outputs],
                                 transcript.duration, elapsed,
                                 self.runner.file_layouts(flight.planned.stem),
                                 packed(transcript))  # fmt: skip
        except OutputError as exc:
            self._fail_claimed(flight, str(exc))
            return
        except LeaseLost as exc:
            self._lost(flight, exc)
            return
        except ManifestError:
            raise  # the manifest itself: the batch stops, as a local one does
        except Exception as exc:
            # A surprise while rebuilding or rendering one file's outputs (a bug) fails that
            # file with its reason, as in a local run; the batch goes on (it stopped with a
            # traceback, every file of it left interrupted).
            log.info("%s failed", name, exc_info=True)
            self._fail_claimed(flight, one_line(exc))
            return
        self.result.done += 1
        worked = max(transcript.duration - flight.resumed_from, 0.0)
        self.runner.report(
            Event(
                "done",
                input=name,
                duration=transcript.duration,
                elapsed=elapsed,
                realtime_factor=worked / elapsed if elapsed > 0 else None,
                outputs=[str(p) for p in outputs],
                language=transcript.language,
                worker=slot.label,
                words=transcript.word_count,
                audio_track=transcript.audio_track,
                warnings=list(transcript.warnings),
            )
        )

    def _lost(self, flight: _Flight, exc: LeaseLost) -> None:
        # Another process owns this job now (we stalled past the lease); it finishes it.
        if not flight.lost:
            flight.lost = True
            self.result.lost += 1
            self.runner.report(Event("failed", input=str(flight.planned.item.path),
                                     reason=str(exc), worker=_label(flight)))  # fmt: skip

    def _fail_claimed(self, flight: _Flight, reason: str) -> None:
        self.payloads.pop(flight.job_id, None)
        name = str(flight.planned.item.path)
        try:
            self.manifest.fail(flight.job_id, self.runner.owner, reason)
        except LeaseLost:
            return
        self.result.failed += 1
        self.result.failures.append((name, reason))
        self.runner.report(Event("failed", input=name, reason=reason, worker=_label(flight)))

    def _fail_rest(self, pending: deque[tuple[PlannedJob, Job]], reason: str) -> None:
        while self.todo:
            self._fail_claimed(self.todo.popleft(), reason)
        while pending:
            flight = self._claim(*pending.popleft())
            if flight is not None:
                self._fail_claimed(flight, reason)


def _host_ip(ray: ModuleType) -> str:
    try:
        return str(ray.util.get_node_ip_address())
    except Exception:
        return "127.0.0.1"


def _longest_first(registered: list[tuple[PlannedJob, Job]]) -> list[tuple[PlannedJob, Job]]:
    """Longest files first (by their containers' durations, read without decoding: ~5 ms a
    file), so that the batch does not end with one actor on a long file while the others idle.
    Past ``_SORT_AT_MOST`` files the order is kept: probing would delay the start, and the
    tail is a small part of such a batch."""
    if len(registered) > _SORT_AT_MOST:
        return registered
    from woasr_cli.errors import MediaError
    from woasr_cli.media.decode import probe

    def length(item: tuple[PlannedJob, Job]) -> float:
        try:
            return probe(item[0].item.path).duration or 0.0
        except (MediaError, OSError):
            return 0.0

    return sorted(registered, key=length, reverse=True)

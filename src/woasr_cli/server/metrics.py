"""``/metrics`` for Prometheus: jobs by state, audio seconds, real-time factor, queue length.

Each app has its own registry (several apps in one test process never clash); the gauges are
read from the job service when scraped, the counters fed by the runner's events.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from woasr_cli.events import Event
from woasr_cli.server.jobs import JobService
from woasr_cli.server.status import JobStatus


class ServerMetrics:
    def __init__(self, jobs: JobService) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.jobs = jobs
        self.audio_seconds = Counter(
            "woasr_audio_seconds", "Audio seconds transcribed", registry=self.registry
        )
        self.files = Counter(
            "woasr_files", "Files finished, by outcome", ["outcome"], registry=self.registry
        )
        self.realtime_factor = Histogram(
            "woasr_realtime_factor", "Audio seconds per wall second, per file",
            buckets=(0.5, 1, 2, 5, 10, 20, 50, 100, 200), registry=self.registry,
        )  # fmt: skip
        self.requests = Counter(
            "woasr_openai_requests", "OpenAI-compatible requests", ["route"],
            registry=self.registry,
        )  # fmt: skip
        self.registry.register(_JobCollector(jobs))
        jobs.listeners.append(self.on_event)

    def on_event(self, job_id: str, event: Event) -> None:
        if event.kind == "done":
            self.files.labels("done").inc()
            if event.duration is not None:
                self.audio_seconds.inc(max(event.duration - (event.resumed_from or 0.0), 0.0))
            if event.realtime_factor:
                self.realtime_factor.observe(event.realtime_factor)
        elif event.kind == "failed":
            self.files.labels("failed").inc()

    def observe_direct(self, route: str, seconds: float, elapsed: float) -> None:
        self.requests.labels(route).inc()
        self.audio_seconds.inc(seconds)
        if elapsed > 0:
            self.realtime_factor.observe(seconds / elapsed)

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _JobCollector:
    def __init__(self, jobs: JobService) -> None:
        self.jobs = jobs

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        counts = {s.value: 0 for s in JobStatus}
        for view in self.jobs.views():
            counts[view.status.value] += 1
        by_state = GaugeMetricFamily("woasr_jobs", "Server jobs by state", labels=["state"])
        for state, n in counts.items():
            by_state.add_metric([state], n)
        yield by_state
        yield GaugeMetricFamily(
            "woasr_queue_length", "Files waiting or running", value=self.jobs.queue_length()
        )

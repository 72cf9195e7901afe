"""Flags that choose where a batch runs, declared once for every command that runs one
(``transcribe``, ``retry``): the same names, environment variables and help everywhere, and
one place that turns them into an executor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from woasr_cli.errors import UsageError

if TYPE_CHECKING:
    from woasr_cli.jobs.ray_executor import RayExecutor

RUN_PANEL = "Batch"
RAY_PANEL = "Cluster (Ray)"

ExecutorFlag = Annotated[
    str,
    typer.Option(
        "--executor",
        envvar="WOASR_EXECUTOR",
        help="local (this machine) or ray (the actors of a Ray cluster, see docs/scaling.md;"
        " needs the ray extra). The manifest and the outputs stay with this process.",
        rich_help_panel=RUN_PANEL,
    ),
]
RayAddressFlag = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        envvar="RAY_ADDRESS",
        help="auto, HOST:PORT or ray://HOST:PORT (default: a local Ray for this machine).",
        rich_help_panel=RAY_PANEL,
    ),
]
RayWorkersFlag = Annotated[
    int,
    typer.Option(
        "--ray-workers",
        min=0,
        help="Ray actors, each with its own model (0 = one per node, or one per "
        "--ray-gpus-per-worker GPUs).",
        rich_help_panel=RAY_PANEL,
    ),
]
RayGpusFlag = Annotated[
    float,
    typer.Option(
        "--ray-gpus-per-worker",
        min=0.0,
        help="GPUs each actor reserves (fractions share a GPU; 0 = CPU only).",
        rich_help_panel=RAY_PANEL,
    ),
]
RaySharedFsFlag = Annotated[
    bool | None,
    typer.Option(
        "--ray-shared-fs/--no-ray-shared-fs",
        help="Workers read inputs by path (a shared filesystem) or get their bytes through "
        "the object store (default: paths when every node is this machine).",
        show_default=False,
        rich_help_panel=RAY_PANEL,
    ),
]


def make_executor(
    executor: str,
    *,
    workers: int | None,
    ray_address: str | None,
    ray_workers: int,
    ray_gpus_per_worker: float,
    ray_shared_fs: bool | None,
) -> RayExecutor | None:
    """None for the local executor, the Ray executor the flags describe, or ``UsageError``."""
    if executor == "local":
        return None
    if executor != "ray":
        raise UsageError(f"--executor must be local or ray, not '{executor}'")
    if workers:
        raise UsageError("--workers is for the local executor; use --ray-workers")
    from woasr_cli.jobs.ray_executor import RayExecutor

    return RayExecutor(ray_address or None, ray_workers, ray_gpus_per_worker, ray_shared_fs)

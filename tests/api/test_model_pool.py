"""``ModelPool``: what a long-running process (``woasr serve``) keeps loaded, on real tiny.en
engines. Options that differ in batch size need engines of their own (cheap: they share the
weights), so they stand for the models clients ask for."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from pathlib import Path

import pytest

from woasr_cli.errors import Interrupted, ModelNotFound
from woasr_cli.model_pool import ModelPool, ModelsBusy
from woasr_cli.models.cache import cached, let_go
from woasr_cli.options import TranscribeOptions


def model(batch_size: int) -> TranscribeOptions:
    return TranscribeOptions(model="tiny.en", device="cpu", batch_size=batch_size)


A, B, C = model(2), model(3), model(4)


def loaded_batch_sizes(pool: ModelPool) -> list[int]:
    return sorted(getattr(p, "batch_size", 0) for p in pool.loaded())


def eventually(condition: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_a_model_nobody_holds_is_unloaded_once_let_go_and_loaded_again_when_asked() -> None:
    class Weights:
        pass

    builds: list[Weights] = []

    def build() -> Weights:
        builds.append(Weights())
        return builds[-1]

    first = cached(("test", "weights"), build)
    assert cached(("test", "weights"), build) is first  # shared while held
    gone = weakref.ref(first)
    del first
    builds.clear()
    gc.collect()
    assert gone() is not None  # the model last asked for stays: batch after batch loads once
    let_go()
    gc.collect()
    assert gone() is None  # after let_go the cache itself does not keep it
    cached(("test", "weights"), build)
    assert len(builds) == 1


def test_the_least_recently_used_idle_model_makes_room(tiny_en: Path) -> None:
    del tiny_en
    pool = ModelPool(max_models=2)
    with pool.use(A) as loaded:
        first = weakref.ref(loaded.provider)
    del loaded
    with pool.use(B):
        pass
    with pool.use(A):  # A is now the most recently used
        pass
    with pool.use(C):
        pass
    assert loaded_batch_sizes(pool) == [2, 4]  # B went
    with pool.use(B):
        pass
    assert loaded_batch_sizes(pool) == [3, 4]
    gc.collect()
    assert first() is None  # A's engine is gone, not just forgotten
    assert pool.unloads == 2
    pool.close()
    assert pool.loaded() == []


def test_a_model_in_use_is_never_unloaded_and_others_wait_for_it(tiny_en: Path) -> None:
    del tiny_en
    pool = ModelPool(max_models=1)
    order: list[str] = []
    with pool.use(A) as a:
        with pytest.raises(ModelsBusy, match="all 1 model slots are in use"):
            pool.check(B)  # a request that must answer now is told to retry

        def wants(options: TranscribeOptions, name: str) -> None:
            with pool.use(options):
                order.append(name)

        wants_b = threading.Thread(target=wants, args=(B, "B"))
        wants_b.start()
        assert eventually(lambda: pool._waiting)  # waiting for room
        # New work for the loaded model queues behind it instead of keeping A busy forever.
        wants_a = threading.Thread(target=wants, args=(A, "A again"))
        wants_a.start()
        time.sleep(0.3)
        assert order == [] and loaded_batch_sizes(pool) == [2]
        assert a.users == 1
    wants_b.join(30)
    wants_a.join(30)
    assert order == ["B", "A again"]
    assert loaded_batch_sizes(pool) == [2]


def test_a_caller_waiting_for_room_stops_when_asked(tiny_en: Path) -> None:
    del tiny_en
    pool = ModelPool(max_models=1)
    stop = threading.Event()
    errors: list[BaseException] = []

    def wait_for_b() -> None:
        try:
            with pool.use(B, should_stop=stop.is_set):
                pass
        except Interrupted as exc:
            errors.append(exc)

    with pool.use(A):
        waiter = threading.Thread(target=wait_for_b)
        waiter.start()
        time.sleep(0.2)
        stop.set()
        waiter.join(5)
    assert not waiter.is_alive() and len(errors) == 1
    assert loaded_batch_sizes(pool) == [2]


def test_idle_models_are_unloaded_after_their_time(tiny_en: Path) -> None:
    del tiny_en
    now = [0.0]
    pool = ModelPool(max_models=3, idle_s=60.0, clock=lambda: now[0])
    with pool.use(A):
        now[0] = 100.0
        assert pool.sweep() == 0  # in use: kept however long ago it was loaded
    with pool.use(B):
        pass
    now[0] = 159.0
    assert pool.sweep() == 0
    now[0] = 160.0
    assert pool.sweep() == 2
    assert pool.loaded() == []
    pool.close()


def test_a_model_that_does_not_load_takes_no_slot(tiny_en: Path, tmp_path: Path) -> None:
    del tiny_en
    pool = ModelPool(max_models=1)
    with pytest.raises(ModelNotFound):
        pool.check(TranscribeOptions(model=str(tmp_path / "no-such-model"), device="cpu"))
    pool.check(A)
    assert loaded_batch_sizes(pool) == [2]

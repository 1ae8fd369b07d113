"""The one way work runs side by side: a per-region scheduler over a thread pool."""
from __future__ import annotations

import threading
from collections import Counter, deque
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any, Callable, Iterator, TypeVar

from ecr_usage_report.aws.quotas import calls_at_once

R = TypeVar("R")
Lane = tuple[str, str]  # (service, region): the scope of a request-rate quota
Task = tuple[Lane, Future, Callable[[], Any]]


class RegionScheduler:
    """Runs tasks in an executor: at most `workers` at once, at most `limit(service)` of one lane's
    at once, and lanes with work waiting take turns, so no region's paced calls hold back another's.

    submit() never waits, and a task never waits on another: a task that finds more work submits it.
    """

    def __init__(self, executor: Executor, workers: int,
                 limit: Callable[[str], int | None] = calls_at_once) -> None:
        self._executor, self._workers, self._limit = executor, workers, limit
        self._lock = threading.Lock()
        self._queued: dict[Lane, deque[tuple[Future, Callable[[], Any]]]] = {}
        self._turns: deque[Lane] = deque()  # lanes with queued tasks, next first
        self._running: Counter[Lane] = Counter()
        self._busy = 0
        self._closed = False

    def submit(self, service: str, region: str, fn: Callable[..., R], *args: Any) -> Future[R]:
        """Queue fn(*args) in the (service, region) lane; its Future holds the result or the exception."""
        future: Future[R] = Future()
        lane = (service, region)
        with self._lock:
            if self._closed:
                future.cancel()
                return future
            if lane not in self._queued:
                self._queued[lane] = deque()
                self._turns.append(lane)
            self._queued[lane].append((future, partial(fn, *args)))
            ready = self._take_ready()
        self._start(ready)
        return future

    def close(self) -> None:
        """Cancel every task not yet started, and any submitted later; running tasks finish."""
        with self._lock:
            self._closed = True
            dropped = [future for queue in self._queued.values() for future, _ in queue]
            self._queued.clear()
            self._turns.clear()
        for future in dropped:
            future.cancel()

    def _take_ready(self) -> list[Task]:
        """The queued tasks that may start now, one lane's at a time in turn (lock held)."""
        ready: list[Task] = []
        passed = 0  # lanes passed over in a row because they are at their limit
        while self._busy < self._workers and passed < len(self._turns):
            lane = self._turns.popleft()
            limit = self._limit(lane[0])
            if limit is not None and self._running[lane] >= limit:
                self._turns.append(lane)
                passed += 1
                continue
            passed = 0
            future, call = self._queued[lane].popleft()
            if self._queued[lane]:
                self._turns.append(lane)
            else:
                del self._queued[lane]
            if future.set_running_or_notify_cancel():
                self._running[lane] += 1
                self._busy += 1
                ready.append((lane, future, call))
        return ready

    def _start(self, ready: list[Task]) -> None:
        for task in ready:
            self._executor.submit(self._run, *task)

    def _run(self, lane: Lane, future: Future, call: Callable[[], Any]) -> None:
        try:
            result = call()
        except BaseException as exc:  # handed to whoever awaits the future, as an executor does
            future.set_exception(exc)
        else:
            future.set_result(result)
        finally:
            with self._lock:
                self._running[lane] -= 1
                self._busy -= 1
                ready = self._take_ready()
            self._start(ready)


@contextmanager
def region_scheduler(workers: int) -> Iterator[RegionScheduler]:
    """A scheduler on a pool of `workers` threads. Leaving it cancels what has not started (after
    an error, the rest of the run's queue; after a run, lookups nothing waits for)."""
    with ThreadPoolExecutor(workers, thread_name_prefix="aws") as pool:
        scheduler = RegionScheduler(pool, workers)
        try:
            yield scheduler
        finally:
            scheduler.close()

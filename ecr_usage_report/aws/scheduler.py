"""The one way work runs side by side: a per-region scheduler over a thread pool."""
from __future__ import annotations

import threading
import time
from collections import Counter, deque
from concurrent.futures import Executor, Future, InvalidStateError, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any, Callable, Iterator, TypeVar

from ecr_usage_report.aws.quotas import calls_at_once

R = TypeVar("R")
Lane = tuple[str, str]  # (service, region): the scope of a request-rate quota
Task = tuple[Lane, Future, Callable[[], Any]]


class TimeRanOut(Exception):
    """A task not finished by the run's deadline: what it would have read is not known."""


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
        self._started: set[Future] = set()  # the futures of tasks running now
        self._busy = 0
        self._closed = False
        self.expired = False
        self.deadline: float | None = None  # on time.monotonic()'s clock: readers of outside APIs keep within it

    def submit(self, service: str, region: str, fn: Callable[..., R], *args: Any) -> Future[R]:
        """Queue fn(*args) in the (service, region) lane; its Future holds the result or the exception."""
        future: Future[R] = Future()
        lane = (service, region)
        with self._lock:
            if self._closed:
                end(future, self.expired)
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
            end(future, expired=False)

    def expire(self) -> None:
        """The deadline: every task not finished, running or queued, ends with TimeRanOut now, so whoever
        waits moves on; a running task's own answer, when it comes, is dropped."""
        with self._lock:
            self._closed = self.expired = True
            waiting = [future for queue in self._queued.values() for future, _ in queue] + list(self._started)
            self._queued.clear()
            self._turns.clear()
        for future in waiting:
            end(future, expired=True)

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
                self._started.add(future)
                ready.append((lane, future, call))
        return ready

    def _start(self, ready: list[Task]) -> None:
        for task in ready:
            self._executor.submit(self._run, *task)

    def _run(self, lane: Lane, future: Future, call: Callable[[], Any]) -> None:
        try:
            result = call()
        except BaseException as exc:  # handed to whoever awaits the future, as an executor does
            settle(future.set_exception, exc)
        else:
            settle(future.set_result, result)
        finally:
            with self._lock:
                self._running[lane] -= 1
                self._busy -= 1
                self._started.discard(future)
                ready = self._take_ready()
            self._start(ready)


class AccountLanes:
    """One account's lanes of a run's scheduler: request-rate quotas are per account, so each account's
    calls queue and take turns in lanes of their own, under the run's one limit of calls in flight."""

    def __init__(self, scheduler: RegionScheduler, account: str) -> None:
        self.scheduler, self.account = scheduler, account

    def submit(self, service: str, region: str, fn: Callable[..., R], *args: Any) -> Future[R]:
        """Queue fn(*args) in this account's (service, region) lane."""
        return self.scheduler.submit(service, f"{region} {self.account}", fn, *args)

    @property
    def deadline(self) -> float | None:
        return self.scheduler.deadline


def end(future: Future, expired: bool) -> None:
    """End a task that will not run (or whose answer will not be waited for): TimeRanOut at the deadline,
    else cancelled, either way done for whoever waits on it (concurrent.futures.wait included)."""
    if expired:
        settle(future.set_exception, TimeRanOut("not read: the invocation's time ran out"))
    elif future.cancel():
        future.set_running_or_notify_cancel()


def settle(outcome: Callable[[Any], None], value: Any) -> None:
    """Give a future its result or exception, unless the deadline already ended it."""
    try:
        outcome(value)
    except InvalidStateError:
        pass


@contextmanager
def region_scheduler(workers: int, deadline: float | None = None,
                     clock: Callable[[], float] = time.monotonic) -> Iterator[RegionScheduler]:
    """A scheduler on a pool of `workers` threads. Leaving it cancels what has not started (after
    an error, the rest of the run's queue; after a run, lookups nothing waits for). At `deadline` (on
    `clock`) every unfinished task ends with TimeRanOut, and leaving waits for none of the calls in flight."""
    pool = ThreadPoolExecutor(workers, thread_name_prefix="aws")
    scheduler = RegionScheduler(pool, workers)
    scheduler.deadline = deadline
    timer = None if deadline is None else threading.Timer(max(0.0, deadline - clock()), scheduler.expire)
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield scheduler
    finally:
        if timer is not None:
            timer.cancel()
        scheduler.close()
        pool.shutdown(wait=not scheduler.expired, cancel_futures=True)

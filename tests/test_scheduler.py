"""The per-region scheduler, driven by hand through a fake executor: no threads, no clocks."""
from __future__ import annotations

from concurrent.futures import Executor, Future, wait
from functools import partial
from typing import Any, Callable

import pytest

from ecr_usage_report.aws.scheduler import RegionScheduler, TimeRanOut

SEOUL, OREGON = "ap-northeast-2", "us-west-2"


class HandDrivenExecutor(Executor):
    """Holds what the scheduler starts until the test runs it, oldest first."""

    def __init__(self) -> None:
        self.started: list[Callable[[], Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        self.started.append(partial(fn, *args, **kwargs))
        return Future()

    def run_next(self) -> None:
        self.started.pop(0)()

    def run_all(self) -> None:
        while self.started:
            self.run_next()


def scheduler_of(workers: int, limits: dict[str, int] | None = None) -> tuple[RegionScheduler, HandDrivenExecutor]:
    executor = HandDrivenExecutor()
    return RegionScheduler(executor, workers, limit=lambda service: (limits or {}).get(service)), executor


def test_no_more_than_workers_tasks_run_at_once_and_each_result_reaches_its_future():
    scheduler, executor = scheduler_of(workers=2)
    futures = [scheduler.submit("ecr", SEOUL, lambda n=n: n * 10) for n in range(5)]
    assert len(executor.started) == 2  # the other three wait in the scheduler, not in the pool
    executor.run_all()
    assert [future.result() for future in futures] == [0, 10, 20, 30, 40]


def test_a_lane_at_its_limit_leaves_the_rest_of_the_pool_to_other_lanes():
    scheduler, executor = scheduler_of(workers=4, limits={"logs": 2})
    ran: list[str] = []
    for n in range(6):
        scheduler.submit("logs", SEOUL, ran.append, f"logs-{n}")
    for n in range(3):
        scheduler.submit("ecr", SEOUL, ran.append, f"ecr-{n}")
    assert len(executor.started) == 4  # two of the six paced lookups, and two of ECR's reads
    executor.run_all()
    assert sorted(ran) == sorted([f"logs-{n}" for n in range(6)] + [f"ecr-{n}" for n in range(3)])
    assert ran.index("ecr-1") < ran.index("logs-3")  # ECR did not wait for the paced lane to drain


def test_lanes_with_work_waiting_take_turns():
    scheduler, executor = scheduler_of(workers=1)
    ran: list[str] = []
    for n in range(4):
        scheduler.submit("lambda", SEOUL, ran.append, f"seoul-{n}")
    scheduler.submit("lambda", OREGON, ran.append, "oregon-0")  # queued behind four of Seoul's
    scheduler.submit("lambda", OREGON, ran.append, "oregon-1")
    executor.run_all()
    assert ran == ["seoul-0", "seoul-1", "oregon-0", "seoul-2", "oregon-1", "seoul-3"]


def test_a_task_that_finds_more_work_submits_it_and_never_waits():
    scheduler, executor = scheduler_of(workers=1)  # one thread: a task that waited would deadlock

    def list_region() -> list[Future]:
        return [scheduler.submit("ecr", SEOUL, lambda n=n: f"repo-{n}") for n in range(3)]

    listing = scheduler.submit("ecr", SEOUL, list_region)
    executor.run_all()
    assert [future.result() for future in listing.result()] == ["repo-0", "repo-1", "repo-2"]


def test_a_failing_task_hands_its_exception_to_its_future_and_the_rest_go_on():
    scheduler, executor = scheduler_of(workers=1)
    failing = scheduler.submit("ecr", SEOUL, int, "not a number")
    after = scheduler.submit("ecr", SEOUL, int, "7")
    executor.run_all()
    with pytest.raises(ValueError):
        failing.result()
    assert after.result() == 7


def test_closing_cancels_what_has_not_started_and_what_comes_later():
    scheduler, executor = scheduler_of(workers=1)
    ran: list[int] = []
    running = scheduler.submit("ecr", SEOUL, ran.append, 0)
    queued = [scheduler.submit("ecr", SEOUL, ran.append, n) for n in (1, 2)]
    scheduler.close()
    late = scheduler.submit("ecr", SEOUL, ran.append, 3)
    executor.run_all()
    assert ran == [0] and running.done()  # the task already started finished; nothing else ran
    assert all(future.cancelled() for future in [*queued, late])


def test_at_the_deadline_every_unfinished_task_ends_and_a_late_answer_is_dropped():
    scheduler, executor = scheduler_of(workers=1)
    running = scheduler.submit("ecr", SEOUL, lambda: "late answer")
    queued = scheduler.submit("ecr", OREGON, lambda: "never asked")
    scheduler.expire()
    for future in (running, queued):
        with pytest.raises(TimeRanOut, match="not read: the invocation's time ran out"):
            future.result()
    executor.run_all()  # the call in flight answers after the deadline: nobody is waiting for it any more
    assert executor.started == [] and scheduler.expired
    after = scheduler.submit("ecr", SEOUL, lambda: "too late to start")
    assert isinstance(after.exception(timeout=0), TimeRanOut) and executor.started == []


def test_a_task_cancelled_when_the_scheduler_closes_is_done_for_whoever_waits():
    scheduler, executor = scheduler_of(workers=1)
    scheduler.submit("ecr", SEOUL, lambda: "runs")
    queued = scheduler.submit("ecr", SEOUL, lambda: "never runs")
    scheduler.close()
    done, waiting = wait([queued], timeout=0)  # a future cancel() alone leaves is never done for wait()
    assert done == {queued} and waiting == set() and queued.cancelled()

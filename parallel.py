"""Bounded thread pools that keep input order."""
from __future__ import annotations

import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from types import TracebackType
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_in_pool(function: Callable[[T], R], items: Iterable[T], executor: Executor | None, workers: int,
                at_once: int | None = None) -> list[R]:
    """Run function over items in executor (or a new pool of `workers`), results in input order.

    With `at_once`, at most that many of these items run in the executor at a time.
    """
    items = list(items)
    if executor is not None:
        if at_once is not None:
            return map_at_most(function, items, executor, at_once)
        return list(executor.map(function, items))
    if workers <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(function, items))


def map_at_most(function: Callable[[T], R], items: list[T], executor: Executor, at_once: int) -> list[R]:
    """function over items in a shared executor, at most `at_once` running at a time, in input order.

    A region whose calls wait for quota tokens must not take every thread of a shared pool: the
    other regions' items would queue behind it, and regions would be read one after another.
    """
    gate = threading.BoundedSemaphore(at_once)

    def run(item: T) -> R:
        try:
            return function(item)
        finally:
            gate.release()

    futures = []
    for item in items:
        gate.acquire()
        futures.append(executor.submit(run, item))
    return [future.result() for future in futures]


class RegionPools:
    """A region pool and two item pools, `workers` threads each, shared by every reader of a run.

    Region tasks wait on the items they fan out (repositories, functions), so they cannot share
    one pool without risking deadlock; items wait on nothing. Items whose calls are paced to a
    request-rate quota (Lambda's functions) get a pool of their own: they are a run's slowest
    chain, and behind hundreds of unpaced ECR items in one queue they would start a second late.
    When the ECR and Lambda readers share these pools, the readers have at most 3 x workers AWS
    calls in flight, not 4 x: past that, threads add no overlap, only GIL contention and CPU
    time. (Log lookups made meanwhile run in a pool of their own: see last_run_prefetch.)
    """

    def __init__(self, workers: int) -> None:
        self.regions = ThreadPoolExecutor(workers, thread_name_prefix="region")
        self.items = ThreadPoolExecutor(workers, thread_name_prefix="item")
        self.paced_items = ThreadPoolExecutor(workers, thread_name_prefix="paced-item")

    def map(self, read: Callable[[str, Executor], R], regions: list[str], paced: bool = False) -> list[R]:
        """read(region, item_pool) for every region, results in region order (`paced`: the paced item pool)."""
        items = self.paced_items if paced else self.items
        return list(self.regions.map(lambda region: read(region, items), regions))

    def __enter__(self) -> RegionPools:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.regions.shutdown()
        self.items.shutdown()
        self.paced_items.shutdown()


def map_regions(read: Callable[[str, Executor], R], regions: list[str], workers: int,
                pools: RegionPools | None = None, paced: bool = False) -> list[R]:
    """read(region, item_pool) for every region, in the given pools or in new ones `workers` wide.

    `paced`: the items' calls wait on a request-rate quota, so they go to the paced item pool.
    """
    if pools is not None:
        return pools.map(read, regions, paced)
    with RegionPools(workers) as own_pools:
        return own_pools.map(read, regions, paced)

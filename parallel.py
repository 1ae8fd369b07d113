"""A bounded thread pool map that keeps input order."""
from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_in_pool(function: Callable[[T], R], items: Iterable[T], executor: Executor | None, workers: int) -> list[R]:
    """Run function over items in executor (or a new pool of `workers`), results in input order."""
    items = list(items)
    if executor is not None:
        return list(executor.map(function, items))
    if workers <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(function, items))


def map_regions(read: Callable[[str, Executor], R], regions: list[str], workers: int) -> list[R]:
    """read(region, item_pool) for every region, results in region order.

    Regions run in one pool and the items they fan out (repositories, functions) in another,
    both `workers` wide: a region task waits on its items, so sharing one pool could deadlock.
    """
    with ThreadPoolExecutor(workers) as region_pool, ThreadPoolExecutor(workers) as item_pool:
        return list(region_pool.map(lambda region: read(region, item_pool), regions))

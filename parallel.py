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

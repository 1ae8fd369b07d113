"""Look up joined functions' last runs while the inventory is still being read.

DescribeLogStreams has a quota of its own, so its paced calls can run beside the rest of the
inventory instead of after it all. A function's log group is looked up once the function is read
and its region's repositories are listed, and it runs one of them: the same join as the report's,
so the same calls, one per distinct (region, log group). (Only a repository whose images then
fail to read, which the report names as an error, can leave one lookup unused.)
"""
from __future__ import annotations

import threading
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

from aws_clients import ClientFactory
from log_times import LastRun, fetch_last_runs, last_run
from usage_join import function_image_refs, repository_of

# A region's lookups run at most this many at a time. Each waits for its region's DescribeLogStreams
# token (20 a second), so a region handed many lookups first would otherwise take every thread,
# each asleep until its token is due, while the other regions' lookups queued behind. 6 keep a
# region at its quota up to 250-ms round trips.
LOOKUPS_AT_ONCE = 6

Pair = tuple[str, str]  # (region, log group)


def runs_one_of(function: dict[str, Any], repository_uris: set[str]) -> bool:
    """Whether the function (or an aliased version) runs an image of one of these repositories."""
    return any(repository_of(uri) in repository_uris for uri in function_image_refs(function))


class LastRunPrefetch:
    """Fed by the two readers as they go (repositories_listed, function_read); answers last_runs at the end.

    Its callbacks never wait: they only note what was read and queue lookups per region, which
    at most LOOKUPS_AT_ONCE threads a region work through, in a pool of its own (MAX_WORKERS threads).
    With MAX_WORKERS 1 it looks nothing up early, so the sequential run stays one call at a time.
    """

    def __init__(self, clients: ClientFactory) -> None:
        self.clients = clients
        self.eager = clients.workers > 1
        self._pool = ThreadPoolExecutor(clients.workers, thread_name_prefix="logs")
        self._lock = threading.Lock()
        self._repositories: dict[str, set[str]] = {}  # region -> repository URIs
        self._waiting: dict[str, list[dict[str, Any]]] = {}  # region -> functions read before its repositories
        self._lookups: dict[Pair, Future[LastRun]] = {}
        self._queued: dict[str, deque[tuple[Pair, Future[LastRun]]]] = {}  # region -> lookups not begun
        self._working: Counter[str] = Counter()  # region -> threads working through its queue

    def repositories_listed(self, region: str, repositories: list[dict[str, Any]]) -> None:
        """A region's repositories are listed (the join needs their URIs, not their images)."""
        if not self.eager:
            return
        uris = {repository["repositoryUri"] for repository in repositories}
        with self._lock:
            self._repositories[region] = uris
            waiting = self._waiting.pop(region, [])
        for function in waiting:
            self._look_up_if_joined(region, function, uris)

    def function_read(self, region: str, function: dict[str, Any]) -> None:
        """A function object of a region is complete."""
        if not self.eager:
            return
        with self._lock:
            uris = self._repositories.get(region)
            if uris is None:
                self._waiting.setdefault(region, []).append(function)
                return
        self._look_up_if_joined(region, function, uris)

    def last_runs(self, pairs: list[Pair]) -> dict[Pair, LastRun]:
        """The last run of each (region, log group): as prefetched, the rest looked up now."""
        with self._lock:
            started = dict(self._lookups)
        missing = [pair for pair in set(pairs) if pair not in started]
        found = fetch_last_runs(self.clients, missing)
        return {pair: found[pair] if pair in found else started[pair].result() for pair in set(pairs)}

    def _look_up_if_joined(self, region: str, function: dict[str, Any], uris: set[str]) -> None:
        if not runs_one_of(function, uris):
            return
        pair = (region, function["LogGroupName"])
        with self._lock:
            if pair in self._lookups:
                return
            self._lookups[pair] = future = Future()
            self._queued.setdefault(region, deque()).append((pair, future))
            if self._working[region] >= LOOKUPS_AT_ONCE:
                return
            self._working[region] += 1
        self._pool.submit(self._work_through, region)

    def _work_through(self, region: str) -> None:
        """Look up the region's queued log groups, one after another, until none is left."""
        while True:
            with self._lock:
                if not self._queued[region]:
                    self._working[region] -= 1
                    return
                pair, future = self._queued[region].popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(last_run(self.clients.get("logs", region), pair[1]))
            except BaseException as exc:  # handed to whoever awaits the lookup, as a pool would
                future.set_exception(exc)

    def __enter__(self) -> LastRunPrefetch:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if error is not None:  # the run failed: lookups not begun are dropped
            with self._lock:
                for queue in self._queued.values():
                    for _, future in queue:
                        future.cancel()
        self._pool.shutdown()

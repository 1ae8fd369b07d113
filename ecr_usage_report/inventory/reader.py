"""How every reader reads every region: one task lists the region, then one task reads each item it
listed, all in the (service, region) lane of the run's scheduler. No task waits on another.

An item read's AWS failure is handled here, once: an item deleted since it was listed is passed
over, any other failure is named. A consumer kind is a reader declared with its word and IAM actions."""
from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Callable, Generic, Iterator, TypeVar

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.errors import AWS_ERRORS, error_code, error_message
from ecr_usage_report.aws.scheduler import RegionScheduler, TimeRanOut
from ecr_usage_report.inventory.kinds import ConsumerSettings
from ecr_usage_report.inventory.model import Consumer, ReadError

Item = TypeVar("Item")
Value = TypeVar("Value")
ItemRead = tuple[Any, list[ReadError]]  # (the value, or None when there is none; the errors met)
Listing = ReadError | list[Future[ItemRead]]


@dataclass(frozen=True)
class RegionReader(Generic[Item, Value]):
    """A kind of resource read region by region: its client's service, its listing, its item read."""

    service: str  # the boto3 client's service name, and the scheduler lane's
    label: str  # how the report names it: "ECR", "Lambda"
    list_items: Callable[[Any], list[Item]]  # (client) -> every item of the region, every page
    read_item: Callable[[Any, str, Item], tuple[Value | None, list[ReadError]]]  # (client, region, item)
    needs_call: Callable[[Item], bool] = lambda item: True  # False: the listing told all, it is read at once
    # True: a region botocore's endpoint data does not offer the service in holds none, and the client of
    # a region found to hold none is not kept
    where_offered: bool = False
    gone: tuple[str, ...] = ()  # the error codes of an item deleted since it was listed: it is passed over
    item_name: Callable[[Item], str] = str  # how a failed read names the item


@dataclass(frozen=True)
class FollowUp:
    """A kind's second step in a region, once its reads there, and those of the kinds that feed it, are in:
    a further read (or none), then the region's consumers of the kind from all it read."""

    # (the region's values of the kind and its feeders, settings) -> a reader of what they name, or None
    reader: Callable[[list[Any], ConsumerSettings], RegionReader | None]
    # (region, the same values, the follow-up's values, settings) -> the region's consumers of the kind
    consumers: Callable[[str, list[Any], tuple[Any, ...], ConsumerSettings], list[Consumer]]


@dataclass(frozen=True, kw_only=True)
class ConsumerKind(RegionReader):
    """A consumer kind, declared: its CONSUMER_KINDS word, its reader, the IAM actions its reads need.

    Its values are Consumers (or tuples of them), unless it feeds another kind's follow-up.
    """

    word: str
    actions: tuple[str, ...]
    where_offered: bool = True
    feeds: str = ""  # the word of the kind whose follow-up takes this kind's values instead
    follow_up: FollowUp | None = None
    # keyword arguments its item read takes from the run's clients (EKS presigns its token with STS)
    # what its item read needs of the run besides its client: (clients, the run's scheduler) -> keyword arguments
    with_clients: Callable[[ClientFactory, RegionScheduler], dict[str, Any]] | None = field(default=None,
                                                                                            compare=False)

    def for_run(self, clients: ClientFactory, scheduler: RegionScheduler) -> RegionReader:
        """The reader as a run starts it."""
        if self.with_clients is None:
            return self
        return replace(self, read_item=partial(self.read_item, **self.with_clients(clients, scheduler)),
                       with_clients=None)


def start(reader: RegionReader, clients: ClientFactory, scheduler: RegionScheduler, regions: list[str],
          on_listed: Callable[[str, list[Any]], None] | None = None,
          on_read: Callable[[str, Any], None] | None = None) -> dict[str, Future[Listing]]:
    """Queue every region's listing; `on_listed(region, items)` and `on_read(region, value)` are told as they come."""
    return {region: scheduler.submit(reader.service, region, list_region, reader, clients, scheduler, region,
                                     on_listed, on_read)
            for region in regions}


def list_region(reader: RegionReader, clients: ClientFactory, scheduler: RegionScheduler, region: str,
                on_listed: Callable[[str, list[Any]], None] | None,
                on_read: Callable[[str, Any], None] | None) -> Listing:
    """List one region and queue a read of each item; the region's error when it cannot be listed."""
    if reader.where_offered and region not in clients.regions_offering(reader.service):
        return []
    try:
        client = clients.get(reader.service, region)
        items = reader.list_items(client)
    except AWS_ERRORS as exc:  # including an endpoint that cannot be resolved
        return ReadError(region, reader.label, "", error_message(exc))
    if reader.where_offered and not items:
        clients.release(reader.service, region)  # most regions hold no consumer of a kind: keep no client for them
    if on_listed is not None:
        on_listed(region, items)
    return [scheduler.submit(reader.service, region, read_one, reader, client, region, item, on_read)
            if reader.needs_call(item) else done(read_one(reader, client, region, item, on_read))
            for item in items]


def done(read: ItemRead) -> Future[ItemRead]:
    """A read made without a call, as a future that already holds it."""
    future: Future[ItemRead] = Future()
    future.set_result(read)
    return future


def read(reader: RegionReader, client: Any, region: str, item: Any) -> ItemRead:
    """One item's read: nothing for an item deleted since it was listed, any other AWS failure named."""
    try:
        return reader.read_item(client, region, item)
    except AWS_ERRORS as exc:
        if error_code(exc) in reader.gone:
            return None, []
        return None, [ReadError(region, reader.label, reader.item_name(item), error_message(exc))]


def read_one(reader: RegionReader, client: Any, region: str, item: Any,
             on_read: Callable[[str, Any], None] | None) -> ItemRead:
    value, errors = read(reader, client, region, item)
    if value is not None and on_read is not None:
        on_read(region, value)
    return value, errors


def finish(pending: dict[str, Future[Listing]],
           label: str = "") -> tuple[dict[str, tuple[Any, ...]], list[ReadError]]:
    """Every listed region's values in listing order, and every error; a region that could not be listed
    is left out, and so is one whose reads the run's deadline cut short (named with `label`)."""
    values: dict[str, tuple[Any, ...]] = {}
    errors: list[ReadError] = []
    for region, listing in pending.items():
        try:
            outcome = listing.result()
            reads = [] if isinstance(outcome, ReadError) else [future.result() for future in outcome]
        except TimeRanOut as exc:
            errors.append(ReadError(region, label, "", str(exc)))
            continue
        if isinstance(outcome, ReadError):
            errors.append(outcome)
            continue
        values[region] = tuple(value for value, _ in reads if value is not None)
        errors += [error for _, item_errors in reads for error in item_errors]
    return values, errors


def read_regions(reader: RegionReader, clients: ClientFactory, scheduler: RegionScheduler,
                 regions: list[str]) -> tuple[dict[str, tuple[Any, ...]], list[ReadError]]:
    """One reader over the regions, alone: start, then finish."""
    return finish(start(reader, clients, scheduler, regions), reader.label)


def token_pages(call: Callable[..., dict[str, Any]], **params: Any) -> Iterator[dict[str, Any]]:
    """Every page of a listing botocore has no paginator for: NextToken in each answer asks for the next."""
    while True:
        page = call(**params)
        yield page
        if not page.get("NextToken"):
            return
        params = {**params, "NextToken": page["NextToken"]}

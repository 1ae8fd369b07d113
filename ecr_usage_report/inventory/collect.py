"""The whole inventory of a run: every reader in every region, and the log times of the functions in use."""
from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any, Callable

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.errors import AWS_ERRORS, error_message
from ecr_usage_report.aws.regions import enabled_regions
from ecr_usage_report.aws.scheduler import RegionScheduler
from ecr_usage_report.inventory import consumers, ecr, functions, reader
from ecr_usage_report.inventory.kinds import KINDS, ConsumerSettings
from ecr_usage_report.inventory.logs import LastRunLookups, lookup_errors
from ecr_usage_report.inventory.model import EcrRegion, Inventory, ReadError

REGIONS_LABEL = "EC2"


Finish = Callable[[], Inventory]  # waits for what was started, and returns its inventory


def collect_account(clients: ClientFactory, scheduler: RegionScheduler, asked: list[str] | None,
                    consumer_settings: ConsumerSettings | None = None) -> Inventory:
    """ECR and Lambda in the regions asked (None: every enabled one), and the consumers in every enabled
    region whatever was asked: a consumer may run any region's images. When REGIONS narrows the run and
    the enabled regions cannot be listed, the consumers of the others are named as unknown."""
    return start_account(clients, scheduler, asked, consumer_settings)()


def start_account(clients: ClientFactory, scheduler: RegionScheduler, asked: list[str] | None,
                  consumer_settings: ConsumerSettings | None = None, account: str | None = None) -> Finish:
    """collect_account's reads, started (the enabled regions are listed first, on the calling thread);
    `account`: its id, in a report of several."""
    if asked is not None and not (consumer_settings or ConsumerSettings()).kinds:
        return start(clients, scheduler, asked, consumer_settings, account=account)  # nothing else to read
    try:
        enabled = enabled_regions(clients)
    except AWS_ERRORS as exc:
        if asked is None:
            raise
        finish = start(clients, scheduler, asked, consumer_settings, consumer_regions=None, account=account)
        gap = ReadError("", REGIONS_LABEL, "", f"DescribeRegions {error_message(exc)}: the consumers of the regions"
                                               " not scanned were not read")

        def with_gap() -> Inventory:
            inventory = finish()
            return replace(inventory, errors=tuple(sorted((*inventory.errors, gap))))
        return with_gap
    regions = asked or enabled
    return start(clients, scheduler, regions, consumer_settings, sorted({*enabled, *regions}), account)


def collect(clients: ClientFactory, scheduler: RegionScheduler, regions: list[str],
            consumer_settings: ConsumerSettings | None = None,
            consumer_regions: list[str] | None = ()) -> Inventory:
    """Read ECR and Lambda in `regions` and every consumer kind asked for in `consumer_regions` (default:
    `regions`) side by side; a joined function's log group is looked up as soon as it is read and its
    region's repositories are listed. `consumer_regions` None: they could not be listed, so consumers
    are read in `regions` alone and the inventory says the rest is unknown."""
    return start(clients, scheduler, regions, consumer_settings, consumer_regions)()


def start(clients: ClientFactory, scheduler: RegionScheduler, regions: list[str],
          consumer_settings: ConsumerSettings | None = None, consumer_regions: list[str] | None = (),
          account: str | None = None) -> Finish:
    """collect's reads, started: every reader's listings are queued before anything is waited for."""
    settings = consumer_settings or ConsumerSettings()
    read_consumers_in = consumer_regions or regions
    lookups = LastRunLookups(clients, scheduler, account)
    # Lambda's reads and then their log lookups are the run's slowest chain: its clients come first.
    lambda_reader = functions.reader(settings.lambda_versions)
    clients.build(lambda_reader.service, regions)
    pending_functions = reader.start(lambda_reader, clients, scheduler, regions, on_read=lookups.function_read)
    pending_ecr = reader.start(ecr.READER, clients, scheduler, regions, on_listed=lookups.repositories_listed)
    pending_consumers = consumers.start(clients, scheduler, read_consumers_in, settings)
    return partial(finish, clients, settings, regions, consumer_regions, read_consumers_in, lookups,
                   (lambda_reader.label, pending_functions), pending_ecr, pending_consumers)


def finish(clients: ClientFactory, settings: ConsumerSettings, regions: list[str],
           consumer_regions: list[str] | None, read_consumers_in: list[str], lookups: LastRunLookups,
           functions_started: tuple[str, Any], pending_ecr: Any, pending_consumers: Any) -> Inventory:
    """Wait for every reader that `start` started, and put together what they read."""
    found, consumer_errors = consumers.finish(pending_consumers)
    function_regions, function_errors = reader.finish(functions_started[1], functions_started[0])
    repositories, ecr_errors = reader.finish(pending_ecr, ecr.READER.label)
    last_runs = lookups.results()
    return Inventory(
        regions=tuple(regions),
        ecr={region: EcrRegion(listed) for region, listed in repositories.items()},
        functions=function_regions,
        last_runs=last_runs,
        errors=tuple(sorted(ecr_errors + ecr.archive_gaps(clients, repositories) + function_errors + consumer_errors
                            + lookup_errors(last_runs))),
        consumers=found,
        consumer_kinds=tuple(kind for kind in KINDS if kind in settings.kinds),
        consumer_labels=consumers.LABELS,
        consumer_regions=None if consumer_regions is None else tuple(read_consumers_in),
    )

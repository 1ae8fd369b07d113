"""The whole inventory of a run: every reader in every region, and the log times of the functions in use."""
from __future__ import annotations

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.scheduler import RegionScheduler
from ecr_usage_report.inventory import consumers, ecr, functions, reader
from ecr_usage_report.inventory.kinds import KINDS, ConsumerSettings
from ecr_usage_report.inventory.logs import LastRunLookups, lookup_errors
from ecr_usage_report.inventory.model import EcrRegion, Inventory


def collect(clients: ClientFactory, scheduler: RegionScheduler, regions: list[str],
            consumer_settings: ConsumerSettings | None = None) -> Inventory:
    """Read ECR, Lambda and every consumer kind asked for in every region side by side; a joined
    function's log group is looked up as soon as it is read and its region's repositories are listed."""
    settings = consumer_settings or ConsumerSettings()
    lookups = LastRunLookups(clients, scheduler)
    # Lambda's reads and then their log lookups are the run's slowest chain: its clients come first.
    lambda_reader = functions.reader(settings.lambda_versions)
    clients.build(lambda_reader.service, regions)
    pending_functions = reader.start(lambda_reader, clients, scheduler, regions, on_read=lookups.function_read)
    pending_ecr = reader.start(ecr.READER, clients, scheduler, regions, on_listed=lookups.repositories_listed)
    pending_consumers = consumers.start(clients, scheduler, regions, settings)
    found, consumer_errors = consumers.finish(pending_consumers)
    function_regions, function_errors = reader.finish(pending_functions)
    repositories, ecr_errors = reader.finish(pending_ecr)
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
    )

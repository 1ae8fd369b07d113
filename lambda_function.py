"""ECR usage report: what ECR holds in every region and which Lambda functions still use it.

Handler: lambda_function.lambda_handler. Run `python lambda_function.py --help` for local runs.
The engine is the ecr_usage_report package; these are the manual's functions over it.
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Any

import boto3

from ecr_usage_report import manual
from ecr_usage_report.analysis.join import UsageIndex
from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.scheduler import region_scheduler
from ecr_usage_report.cli import main
from ecr_usage_report.inventory.logs import LastRunLookups, last_run
from ecr_usage_report.inventory.model import LastRun, LogGroupKey
from ecr_usage_report.report import details, words
from ecr_usage_report.handler import handle

__all__ = ["get_last_execution_time", "get_region_string", "get_repository_string", "get_total_string",
           "lambda_handler", "main"]


def get_last_execution_time(client: Any, log_group_name: str) -> str:
    """The newest log event of a log group, in Korea time, or 'No Log Group' / 'No Log Stream' / the error."""
    return words.last_run_text(last_run(client, log_group_name))


def known_or_looked_up(client: Any, region: str, groups: set[str],
                       known: dict[str, str] | None) -> dict[LogGroupKey, LastRun]:
    """Each group's last run: as given (its text), else looked up with the CloudWatch Logs client."""
    known = known or {}
    return {(region, group): LastRun(None, known[group]) if group in known else last_run(client, group)
            for group in sorted(groups)}


def get_repository_string(client: Any, ecr_repository_object: dict[str, Any],
                          lambda_region_object: list[dict[str, Any]],
                          last_execution_times: dict[str, str] | None = None, now: datetime | None = None) -> str:
    """A repository's line and the functions using it (log times looked up with `client` unless given)."""
    repository = manual.repository_from(ecr_repository_object)
    region = client.meta.region_name
    usage = UsageIndex.of({region: [manual.function_from(f) for f in lambda_region_object]})
    groups = {user.log_group for user in usage.functions_of(repository)}
    last_runs = known_or_looked_up(client, region, groups, last_execution_times)
    return details.repository_block(region, repository, usage, last_runs, now or datetime.now(timezone.utc))


def get_region_string(session: boto3.Session, region: str, ecr_region_object: dict[str, Any],
                      lambda_region_object: list[dict[str, Any]], last_execution_times: dict[str, str] | None = None,
                      clients: ClientFactory | None = None, now: datetime | None = None) -> str:
    """A region's section: its title, then its repositories by size, then by last push."""
    data = manual.region_from(ecr_region_object)
    usage = UsageIndex.of({region: [manual.function_from(f) for f in lambda_region_object]})
    groups = {user.log_group for repository in data.repositories for user in usage.functions_of(repository)}
    logs = (clients or ClientFactory(session)).get("logs", region)
    last_runs = known_or_looked_up(logs, region, groups, last_execution_times)
    return details.region_section(region, data, usage, last_runs, now or datetime.now(timezone.utc))


def get_total_string(session: boto3.Session, ecr_object: dict[str, Any], lambda_object: dict[str, list[dict[str, Any]]],
                     clients: ClientFactory | None = None, last_runs: dict[LogGroupKey, LastRun] | None = None,
                     now: datetime | None = None) -> str:
    """Every region with repositories, largest first, then the regions that hold none (log times
    looked up side by side unless given)."""
    ecr = {region: manual.region_from(data) for region, data in ecr_object.items()}
    usage = UsageIndex.of({region: [manual.function_from(f) for f in lambda_object.get(region, [])] for region in ecr})
    if last_runs is None:
        clients = clients or ClientFactory(session)
        groups = {(region, user.log_group) for region, data in ecr.items()
                  for repository in data.repositories for user in usage.functions_of(repository)}
        with region_scheduler(clients.workers) as scheduler:
            last_runs = LastRunLookups(clients, scheduler).results(groups)
    return details.regions_text(ecr, usage, last_runs, now or datetime.now(timezone.utc))


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point: build the report and post it to Slack (or print it on a dry run)."""
    return handle(event, context)


if __name__ == "__main__":
    sys.exit(main())

"""ECR usage report: what ECR holds in every region and which Lambda functions still use it.

Handler: lambda_function.lambda_handler. Run `python lambda_function.py --help` for local runs.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import boto3

import report_format as fmt
from aws_clients import ClientFactory
from aws_errors import AWS_ERRORS, error_code, error_message
from get_ecr_object import get_region_ecr_object_dic
from get_lambda_object import get_region_lambda_object_dic
from parallel import map_in_pool
from regions import RegionError, enabled_regions, validate_regions
from settings import ConfigError, RunOptions, load_email, parse_event
from slack_utils import SlackConfigError, send_error_message_to_slack, send_report_to_slack, webhook_url
from usage_join import functions_using

logger = logging.getLogger("ecr_usage_report")
logger.setLevel(logging.INFO)

NO_LOG_GROUP = "No Log Group"
NO_LOG_STREAM = "No Log Stream"


class ReportError(RuntimeError):
    """The run failed; the message says at which stage and why (it was posted to Slack too)."""


@dataclass
class Inventory:
    """Everything collected in one run."""

    regions: list[str]
    ecr_object: dict[str, Any]
    lambda_object: dict[str, list[dict[str, Any]]]
    errors: list[tuple[str, str]]


def get_last_execution_time(client: Any, log_group_name: str) -> str:
    """The newest log event of a log group, in Korea time, or why there is none."""
    try:
        answer = client.describe_log_streams(
            logGroupName=log_group_name, orderBy="LastEventTime", descending=True, limit=1
        )
    except AWS_ERRORS as exc:
        return NO_LOG_GROUP if error_code(exc) == "ResourceNotFoundException" else error_message(exc)
    streams = answer.get("logStreams", [])
    if not streams or "lastEventTimestamp" not in streams[0]:
        return NO_LOG_STREAM
    return fmt.format_epoch_ms_kst(streams[0]["lastEventTimestamp"])


def get_repository_string(
    client: Any,
    ecr_repository_object: dict[str, Any],
    lambda_region_object: list[dict[str, Any]],
    last_execution_times: dict[str, str] | None = None,
) -> str:
    """A repository's line and the functions using it (log times looked up unless given)."""
    users = functions_using(ecr_repository_object, lambda_region_object)
    lines = [fmt.repository_line(ecr_repository_object, in_use=bool(users))]
    for function in users:
        group = function["LogGroupName"]
        known = last_execution_times or {}
        last = known[group] if group in known else get_last_execution_time(client, group)
        lines.append(fmt.function_line(function["FunctionName"], last))
    return "\n".join(lines)


def get_region_string(
    session: boto3.Session,
    region: str,
    ecr_region_object: dict[str, Any],
    lambda_region_object: list[dict[str, Any]],
    last_execution_times: dict[str, str] | None = None,
    clients: ClientFactory | None = None,
) -> str:
    """A region's section: its title, then its repositories, largest first."""
    clients = clients or ClientFactory(session)
    logs = clients.get("logs", region)
    repositories = sorted(ecr_region_object["repositories"], key=fmt.repository_sort_key, reverse=True)
    lines = [fmt.region_title(region, ecr_region_object["totalSizeGB"])]
    lines += [get_repository_string(logs, repository, lambda_region_object, last_execution_times) for repository in repositories]
    return "\n".join(lines)


def used_log_groups(ecr_object: dict[str, Any], lambda_object: dict[str, list]) -> list[tuple[str, str]]:
    """Distinct (region, log group) of every function joined to a repository."""
    pairs = {
        (region, function["LogGroupName"])
        for region, ecr_region in ecr_object.items()
        for repository in ecr_region["repositories"]
        for function in functions_using(repository, lambda_object.get(region, []))
    }
    return sorted(pairs)


def fetch_last_execution_times(clients: ClientFactory, pairs: list[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """Last execution time of each (region, log group), looked up concurrently, once each."""
    def lookup(pair: tuple[str, str]) -> str:
        region, group = pair
        return get_last_execution_time(clients.get("logs", region), group)

    times: dict[str, dict[str, str]] = {}
    for (region, group), value in zip(pairs, map_in_pool(lookup, pairs, None, clients.workers)):
        times.setdefault(region, {})[group] = value
    return times


def get_total_string(
    session: boto3.Session,
    ecr_object: dict[str, Any],
    lambda_object: dict[str, list[dict[str, Any]]],
    clients: ClientFactory | None = None,
) -> str:
    """Every region with repositories, largest first, then the regions that hold none."""
    clients = clients or ClientFactory(session)
    times = fetch_last_execution_times(clients, used_log_groups(ecr_object, lambda_object))
    regions = sorted(ecr_object, key=lambda name: (-ecr_object[name]["totalSizeBytes"], name))
    filled = [region for region in regions if ecr_object[region]["repositories"]]
    empty = [region for region in regions if not ecr_object[region]["repositories"]]
    sections = [
        get_region_string(session, region, ecr_object[region], lambda_object.get(region, []), times.get(region, {}), clients)
        for region in filled
    ]
    return fmt.join_blocks(sections + ["\n".join(fmt.empty_regions_line(empty))])


def collect(clients: ClientFactory, regions: list[str] | None) -> Inventory:
    """ECR and Lambda inventories of the regions, read side by side."""
    regions = regions if regions is not None else enabled_regions(clients)
    ecr_errors: list[tuple[str, str]] = []
    lambda_errors: list[tuple[str, str]] = []
    with ThreadPoolExecutor(2) as pool:
        ecr = pool.submit(get_region_ecr_object_dic, clients.session, regions, ecr_errors, clients)
        lam = pool.submit(get_region_lambda_object_dic, clients.session, regions, lambda_errors, clients)
        ecr_object, lambda_object = ecr.result(), lam.result()
    errors = [(f"ECR {where}", message) for where, message in ecr_errors]
    errors += [(f"Lambda {where}", message) for where, message in lambda_errors]
    return Inventory(regions, ecr_object, lambda_object, errors)


def build_report(clients: ClientFactory, inventory: Inventory, email: str, now: datetime | None = None) -> str:
    """The whole report text: header, regions, then what could not be read."""
    header = "\n".join(fmt.header_lines(email, now or datetime.now(timezone.utc)))
    body = get_total_string(clients.session, inventory.ecr_object, inventory.lambda_object, clients)
    return fmt.join_blocks([header, body, "\n".join(fmt.errors_section(inventory.errors))])


def summary(inventory: Inventory, messages_sent: int, dry_run: bool) -> dict[str, Any]:
    """A small JSON-serialisable result of the run."""
    repositories = [repo for region in inventory.ecr_object.values() for repo in region["repositories"]]
    return {
        "regions": len(inventory.regions),
        "repositories": len(repositories),
        "images": sum(len(repo["images"]) for repo in repositories),
        "functions": sum(len(functions) for functions in inventory.lambda_object.values()),
        "messages_sent": messages_sent,
        "dry_run": dry_run,
        "errors": [f"{where}: {message}" for where, message in inventory.errors],
    }


def notify_failure(stage: str, exc: BaseException) -> ReportError:
    """Log a failure, post it to Slack when possible, and return the error to raise."""
    text = f"ECR usage report failed while {stage}: {type(exc).__name__}: {exc}"
    logger.error(text)
    try:
        send_error_message_to_slack(text)
    except Exception as slack_exc:  # the webhook itself may be what failed
        logger.error("The failure could not be posted to Slack either: %s", slack_exc)
    return ReportError(text)


def check_configuration(event: Any, session: boto3.Session) -> tuple[RunOptions, str, list[str] | None]:
    """Event, env vars and region names, all checked before any AWS call."""
    options = parse_event(event)
    email = load_email()
    if not options.dry_run:
        webhook_url()
    regions = validate_regions(session, options.regions) if options.regions is not None else None
    return options, email, regions


def run(event: Any, session: boto3.Session | None = None) -> tuple[dict[str, Any], Inventory, str]:
    """One whole run: check, collect, format, deliver. Returns (summary, inventory, report)."""
    session = session or boto3.Session()
    try:
        options, email, regions = check_configuration(event, session)
    except (ConfigError, RegionError, SlackConfigError) as exc:
        raise notify_failure("reading its configuration", exc) from exc
    clients = ClientFactory(session)
    stage = "collecting the ECR and Lambda inventory"
    try:
        inventory = collect(clients, regions)
        stage = "formatting the report"
        report = build_report(clients, inventory, email)
    except Exception as exc:
        raise notify_failure(stage, exc) from exc
    if options.dry_run:
        return summary(inventory, 0, dry_run=True), inventory, report
    try:
        sent = send_report_to_slack(report)
    except Exception as exc:
        logger.error("The report could not be delivered; here it is in full:\n%s", report)
        raise notify_failure("sending the report to Slack", exc) from exc
    return summary(inventory, len(sent), dry_run=False), inventory, report


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point: build the report and post it to Slack (or print it on a dry run)."""
    result, inventory, report = run(event)
    if result["dry_run"]:
        print(report)
    logger.info("ECR usage report done: %s", json.dumps(result, ensure_ascii=False))
    return result


def inventory_json(inventory: Inventory) -> str:
    """The collected inventory as JSON, times in ISO-8601."""
    def default(value: Any) -> str:
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc).isoformat()
        raise TypeError(f"not serialisable: {type(value).__name__}")

    data = {"regions": inventory.regions, "ecr": inventory.ecr_object, "lambda": inventory.lambda_object,
            "errors": [{"where": where, "message": message} for where, message in inventory.errors]}
    return json.dumps(data, default=default, ensure_ascii=False, indent=2)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command line of a local run."""
    parser = argparse.ArgumentParser(
        prog="python lambda_function.py",
        description="Report ECR storage and the Lambda functions using it; post it to Slack (SLACK_DDPS).",
    )
    parser.add_argument("--profile", help="AWS profile from ~/.aws (default: the usual boto3 chain)")
    parser.add_argument("--regions", help="comma-separated regions (default: env REGIONS, else every enabled region)")
    parser.add_argument("--dry-run", action="store_true", help="build and print the report, post nothing")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="what to print (default: text)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Local run: same code path as the handler."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    event: dict[str, Any] = {"dry_run": args.dry_run}
    if args.regions:
        event["regions"] = args.regions.split(",")
    try:
        result, inventory, report = run(event, boto3.Session(profile_name=args.profile))
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(inventory_json(inventory) if args.format == "json" else report)
    print(json.dumps(result, ensure_ascii=False), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""ECR usage report: what ECR holds in every region and which Lambda functions still use it.

Handler: lambda_function.lambda_handler. Run `python lambda_function.py --help` for local runs.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import boto3
from botocore.exceptions import ProfileNotFound

import report_format as fmt
from aws_clients import ClientFactory, new_session
from cleanup_rules import Candidate, Thresholds, deletion_candidates, usage_known
from get_ecr_object import get_region_ecr_object_dic
from get_lambda_object import get_region_lambda_object_dic
from last_run_prefetch import LastRunPrefetch
from log_times import LastRun, fetch_last_runs, last_run
from parallel import RegionPools, map_in_pool
from regions import RegionError, enabled_regions, validate_regions
from report_export import export_document, to_csv, to_json
from settings import ConfigError, RunOptions, load_email, parse_event, report_s3_uri
from slack_utils import SlackConfigError, send_error_message_to_slack, send_report_to_slack, webhook_url
from usage_join import UsageIndex, functions_using

logger = logging.getLogger("ecr_usage_report")
logger.setLevel(logging.INFO)


class ReportError(RuntimeError):
    """The run failed; the message says at which stage and why (it was posted to Slack too)."""


@dataclass
class Inventory:
    """Everything collected in one run."""

    regions: list[str]
    ecr_object: dict[str, Any]
    lambda_object: dict[str, list[dict[str, Any]]]
    errors: list[tuple[str, str]]


@dataclass
class Findings:
    """What one run concluded from its inventory."""

    email: str
    now: datetime
    thresholds: Thresholds
    last_runs: dict[tuple[str, str], LastRun]
    candidates: list[Candidate]
    unjudged_regions: list[str]


def get_last_execution_time(client: Any, log_group_name: str) -> str:
    """The newest log event of a log group, in Korea time, or 'No Log Group' / 'No Log Stream' / the error."""
    return last_run(client, log_group_name).text


def get_repository_string(
    client: Any,
    ecr_repository_object: dict[str, Any],
    lambda_region_object: list[dict[str, Any]],
    last_execution_times: dict[str, str] | None = None,
    now: datetime | None = None,
) -> str:
    """A repository's line and the functions using it (log times looked up unless given)."""
    users = functions_using(ecr_repository_object, lambda_region_object)
    return repository_block(client, ecr_repository_object, users, last_execution_times or {}, now)


def repository_block(
    client: Any, repository: dict[str, Any], users: list[dict[str, Any]], known: dict[str, str], now: datetime | None
) -> str:
    """A repository's line, then one line per function using it (log times not in `known` looked up)."""
    lines = [fmt.repository_line(repository, bool(users), now or datetime.now(timezone.utc))]
    for function in users:
        group = function["LogGroupName"]
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
    now: datetime | None = None,
) -> str:
    """A region's section: its title, then its repositories by size, then by last push."""
    clients = clients or ClientFactory(session)
    logs = clients.get("logs", region)
    repositories = sorted(ecr_region_object["repositories"], key=fmt.repository_sort_key, reverse=True)
    lines = [fmt.region_title(region, ecr_region_object["totalSizeGB"])]
    index = UsageIndex.of(lambda_region_object)
    known = last_execution_times or {}
    lines += [repository_block(logs, repo, index.users_of(repo), known, now) for repo in repositories]
    return "\n".join(lines)


def used_log_groups(ecr_object: dict[str, Any], lambda_object: dict[str, list]) -> list[tuple[str, str]]:
    """Distinct (region, log group) of every function joined to a repository."""
    pairs = set()
    for region, ecr_region in ecr_object.items():
        index = UsageIndex.of(lambda_object.get(region, []))
        pairs |= {(region, f["LogGroupName"]) for repo in ecr_region["repositories"] for f in index.users_of(repo)}
    return sorted(pairs)


def get_total_string(
    session: boto3.Session,
    ecr_object: dict[str, Any],
    lambda_object: dict[str, list[dict[str, Any]]],
    clients: ClientFactory | None = None,
    last_runs: dict[tuple[str, str], LastRun] | None = None,
    now: datetime | None = None,
) -> str:
    """Every region with repositories, largest first, then the regions that hold none."""
    clients = clients or ClientFactory(session)
    if last_runs is None:
        last_runs = fetch_last_runs(clients, used_log_groups(ecr_object, lambda_object))
    regions = sorted(ecr_object, key=lambda name: (-ecr_object[name]["totalSizeBytes"], name))
    filled = [region for region in regions if ecr_object[region]["repositories"]]
    empty = [region for region in regions if not ecr_object[region]["repositories"]]
    sections = []
    for region in filled:
        times = {group: last.text for (where, group), last in last_runs.items() if where == region}
        sections.append(get_region_string(session, region, ecr_object[region], lambda_object.get(region, []), times, clients, now))
    return fmt.join_blocks(sections + ["\n".join(fmt.empty_regions_line(empty))])


def collect(clients: ClientFactory, regions: list[str] | None, prefetch: LastRunPrefetch | None = None) -> Inventory:
    """ECR and Lambda inventories of the regions, read side by side (unless MAX_WORKERS is 1).

    `prefetch` is told of each region's repositories and each function as they are read.
    """
    regions = regions if regions is not None else enabled_regions(clients)
    ecr_errors: list[tuple[str, str]] = []
    lambda_errors: list[tuple[str, str]] = []
    # Lambda's reader is the run's slowest chain (its functions, then their log lookups, are paced
    # to quotas), so its clients are built first (one at a time: ~0.3 s for 38 regions), not
    # interleaved with ECR's, and its region tasks are queued ahead of ECR's.
    clients.build("lambda", regions)
    with RegionPools(clients.workers) as pools:  # one set of pools for both: 3 x MAX_WORKERS calls at most
        on_listed = prefetch.repositories_listed if prefetch else None
        on_function = prefetch.function_read if prefetch else None
        readers = [lambda: get_region_lambda_object_dic(clients.session, regions, lambda_errors, clients, pools, on_function),
                   lambda: get_region_ecr_object_dic(clients.session, regions, ecr_errors, clients, pools, on_listed)]
        # MAX_WORKERS=1 reads one after the other: the benchmark's sequential baseline is truly sequential
        lambda_object, ecr_object = map_in_pool(lambda read: read(), readers, None, min(2, clients.workers))
    errors = [(f"ECR {where}", message) for where, message in ecr_errors]
    errors += [(f"Lambda {where}", message) for where, message in lambda_errors]
    return Inventory(regions, ecr_object, lambda_object, errors)


def analyse(clients: ClientFactory, inventory: Inventory, email: str, thresholds: Thresholds,
            prefetch: LastRunPrefetch | None = None) -> Findings:
    """Last runs of the functions in use (those `prefetch` began are awaited), and the deletion candidates."""
    now = datetime.now(timezone.utc)
    pairs = used_log_groups(inventory.ecr_object, inventory.lambda_object)
    last_runs = prefetch.last_runs(pairs) if prefetch else fetch_last_runs(clients, pairs)
    candidates = deletion_candidates(inventory.ecr_object, inventory.lambda_object, last_runs, now, thresholds)
    unjudged = [region for region, data in inventory.ecr_object.items()
                if data["repositories"] and not usage_known(inventory.lambda_object.get(region))]
    return Findings(email, now, thresholds, last_runs, candidates, unjudged)


def build_report(clients: ClientFactory, inventory: Inventory, findings: Findings) -> str:
    """The whole report text: header, summary, regions, deletion candidates, what could not be read."""
    limits, now = findings.thresholds, findings.now
    body = get_total_string(clients.session, inventory.ecr_object, inventory.lambda_object, clients, findings.last_runs, now)
    return fmt.join_blocks([
        "\n".join(fmt.header_lines(findings.email, now)),
        "\n".join(fmt.summary_lines(inventory.ecr_object, len(inventory.regions), limits)),
        body,
        "\n".join(fmt.candidates_lines(findings.candidates, findings.unjudged_regions, now, limits)),
        "\n".join(fmt.errors_section(inventory.errors)),
    ])


def export(inventory: Inventory, findings: Findings) -> dict[str, Any]:
    """The JSON export document of a run."""
    return export_document(
        email=findings.email, now=findings.now, regions=inventory.regions, ecr_object=inventory.ecr_object,
        lambda_object=inventory.lambda_object, last_runs=findings.last_runs, candidates=findings.candidates,
        errors=inventory.errors, limits=findings.thresholds,
    )


def save_to_s3(clients: ClientFactory, target: tuple[str, str], document: dict[str, Any]) -> str:
    """Write the JSON export to s3://bucket/prefix<timestamp>.json; returns its URI."""
    bucket, prefix = target
    key = f"{prefix}ecr-usage-report-{findings_stamp(document)}.json"
    s3 = clients.get("s3", clients.session.region_name or "us-east-1")
    s3.put_object(Bucket=bucket, Key=key, Body=to_json(document).encode(), ContentType="application/json")
    return f"s3://{bucket}/{key}"


def findings_stamp(document: dict[str, Any]) -> str:
    """A file-name-safe UTC timestamp of the run."""
    return document["generated_at"][:19].replace(":", "").replace("-", "") + "Z"


def summary(inventory: Inventory, findings: Findings | None, messages_sent: int, dry_run: bool) -> dict[str, Any]:
    """A small JSON-serialisable result of the run."""
    repositories = [repo for region in inventory.ecr_object.values() for repo in region["repositories"]]
    return {
        "regions": len(inventory.regions),
        "repositories": len(repositories),
        "images": sum(len(repo["images"]) for repo in repositories),
        "functions": sum(len(functions) for functions in inventory.lambda_object.values()),
        "deletion_candidates": len(findings.candidates) if findings else 0,
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


def check_configuration(event: Any, session: boto3.Session) -> tuple[RunOptions, str, list[str] | None, tuple | None]:
    """Event, env vars and region names, all checked before any AWS call."""
    options = parse_event(event)
    email = load_email()
    if not options.dry_run:
        webhook_url()
    regions = validate_regions(session, options.regions) if options.regions is not None else None
    return options, email, regions, report_s3_uri()


@dataclass
class RunResult:
    """What one run produced."""

    summary: dict[str, Any]
    inventory: Inventory
    findings: Findings
    report: str


def run(event: Any, session: boto3.Session | None = None) -> RunResult:
    """One whole run: check, collect, analyse, format, save, deliver."""
    session = session or new_session()
    try:
        options, email, regions, s3_target = check_configuration(event, session)
    except (ConfigError, RegionError, SlackConfigError) as exc:
        raise notify_failure("reading its configuration", exc) from exc
    clients = ClientFactory(session)
    stage = "collecting the ECR and Lambda inventory"
    try:
        with LastRunPrefetch(clients) as prefetch:  # log times are read while the inventory still is
            inventory = collect(clients, regions, prefetch)
            stage = "reading log times and judging what to delete"
            findings = analyse(clients, inventory, email, options.thresholds, prefetch)
        stage = "formatting the report"
        report = build_report(clients, inventory, findings)
        if s3_target:
            stage = "saving the JSON export to S3"
            logger.info("JSON export saved to %s", save_to_s3(clients, s3_target, export(inventory, findings)))
    except Exception as exc:
        raise notify_failure(stage, exc) from exc
    if options.dry_run:
        return RunResult(summary(inventory, findings, 0, dry_run=True), inventory, findings, report)
    try:
        sent = send_report_to_slack(report)
    except Exception as exc:
        logger.error("The report could not be delivered; here it is in full:\n%s", report)
        raise notify_failure("sending the report to Slack", exc) from exc
    return RunResult(summary(inventory, findings, len(sent), dry_run=False), inventory, findings, report)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point: build the report and post it to Slack (or print it on a dry run)."""
    result = run(event)
    if result.summary["dry_run"]:
        print(result.report)
    logger.info("ECR usage report done: %s", json.dumps(result.summary, ensure_ascii=False))
    return result.summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command line of a local run."""
    parser = argparse.ArgumentParser(
        prog="python lambda_function.py",
        description="Report ECR storage and the Lambda functions using it; post it to Slack (SLACK_DDPS).",
    )
    parser.add_argument("--profile", help="AWS profile from ~/.aws (default: the usual boto3 chain)")
    parser.add_argument("--regions", help="comma-separated regions (default: env REGIONS, else every enabled region)")
    parser.add_argument("--dry-run", action="store_true", help="build and print the report, post nothing")
    parser.add_argument("--format", choices=("text", "json", "csv"), default="text",
                        help="print the report (text), the whole inventory (json), or one row per image (csv)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Local run: same code path as the handler."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    event: dict[str, Any] = {"dry_run": args.dry_run}
    if args.regions:
        event["regions"] = args.regions.split(",")
    try:
        result = run(event, new_session(args.profile))
    except (ReportError, ProfileNotFound) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(render(result, args.format))
    print(json.dumps(result.summary, ensure_ascii=False), file=sys.stderr)
    return 0


def render(result: RunResult, output_format: str) -> str:
    """What the command line prints: the report, or an export."""
    if output_format == "text":
        return result.report
    document = export(result.inventory, result.findings)
    return to_json(document) if output_format == "json" else to_csv(document).rstrip("\n")


if __name__ == "__main__":
    sys.exit(main())

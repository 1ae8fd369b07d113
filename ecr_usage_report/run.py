"""One run of the report, the whole flow: settings, collect, analyse, format, save, deliver."""
from __future__ import annotations

import gc
import json
import logging
import time
from dataclasses import dataclass, replace
from functools import cache
from datetime import datetime, timezone
from typing import Any, Callable

import boto3
from botocore.exceptions import ProfileNotFound

from ecr_usage_report import config
from ecr_usage_report.analysis.findings import Findings, analyse
from ecr_usage_report.aws.clients import ClientFactory, shared_factory
from ecr_usage_report.aws.errors import AWS_ERRORS, error_message
from ecr_usage_report.aws.scheduler import region_scheduler
from ecr_usage_report.analysis.comparison import Comparison, compare
from ecr_usage_report.deliver.s3 import export_key, previous_export, save_export
from ecr_usage_report.deliver.slack import DEFAULT_DELIVERY, Delivery, SlackPoster, send_report
from ecr_usage_report.deliver.slack_settings import (FULL, SUMMARY, SlackTarget, failure_target, poster,
                                                     register_slack_secrets, slack_target, ways)
from ecr_usage_report.deliver.split import split_message
from ecr_usage_report.inventory.collect import collect_account
from ecr_usage_report.inventory.model import Inventory, ReadError
from ecr_usage_report.report.export import export_document
from ecr_usage_report.report.summary import SummaryContext, summary_message
from ecr_usage_report.redaction import clipped, scrub
from ecr_usage_report.report.details import errors_section, render_details
from ecr_usage_report.setting import ConfigError

logger = logging.getLogger("ecr_usage_report")
logger.setLevel(logging.INFO)
# Seconds kept at the end of an invocation beside a notice's shortest try: for logging the report
# after it could not be sent, and, past a notice's last try, for the function to end.
LOG_RESERVE_S = 1.0
LAST_NOTICE_RESERVE_S = 1.0
# The share of the invocation's time left, at most so many seconds, kept after reading AWS: to judge,
# format, compare, save the export and deliver the report (or log it and post its notice).
COLLECTION_RESERVE_SHARE, COLLECTION_RESERVE_S = 0.25, 60.0
WHY_CHARS = 200  # of why the last report was not compared, in the summary
NO_CREDENTIALS = ("No AWS credentials found: set AWS_PROFILE (on the command line, --profile NAME), or the"
                  " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY env vars, or run with a role")
LOG_PART_CHARS = 80_000  # characters a log event of the undelivered report holds: at most 240 KB in UTF-8
YOUNG_COLLECTION_EVERY = 10_000  # allocations between the cyclic collector's young collections (Python's: 700)


class ReportError(RuntimeError):
    """The run failed; the message says at which stage and why (it was posted to Slack too, unless not asked)."""

    def __init__(self, text: str, cause: BaseException | None = None) -> None:
        super().__init__(text)
        self.cause = cause  # what failed, for a command line that names it alone


@dataclass(frozen=True)
class RunResult:
    """What one run produced."""

    summary: dict[str, Any]
    settings: config.Settings
    inventory: Inventory
    findings: Findings
    report: str  # the details: the manual's lines
    message: tuple[str, list[dict[str, Any]]] = ("", [])  # the summary: its text and its blocks
    comparison: Comparison | None = None


def utc_now() -> datetime:
    """The run's clock: now, in UTC."""
    return datetime.now(timezone.utc)


def run(event: Any, session: boto3.Session | None = None, time_left: Callable[[], float] | None = None,
        delivery: Delivery = DEFAULT_DELIVERY, clock: Callable[[], datetime] = utc_now,
        post_failures: bool = True, log_failures: bool = True) -> RunResult:
    """One whole run; a failure is logged, posted to Slack (never on a dry run) and raised as ReportError.

    Args:
        event: the invocation event (the event keys of config.py).
        session: a named profile's, say, gets clients of its own; without one, the container's
            shared clients are used, as warm invocations reuse them.
        time_left: the seconds the invocation has left: Slack's retries stop in time to log the
            report and post one notice.
        delivery: how messages are posted (timeouts, retries, pacing).
        clock: what "now" is for the report's ages and its header.
        post_failures: post a failure to Slack (a command-line run posts one only when asked).
        log_failures: log a failure (a command-line run prints it instead).
    """
    register_slack_secrets()  # before any AWS call: Lambda's answers carry this function's own environment
    notices = Notices(time_left, delivery, post_failures, log_failures)
    try:
        dry_run = config.dry_run_of(event)  # first, as it decides whether a failure is posted
        notices.slack = None if dry_run else failure_target()
        settings = config.load(event, dry_run)
        clients = ClientFactory(session, settings.workers) if session else shared_factory(None, settings.workers)
        if clients.session.get_credentials() is None:
            raise ConfigError(NO_CREDENTIALS)
        notices.slack = settings.slack and slack_target(clients, settings.slack)
    except (ConfigError, ProfileNotFound, *AWS_ERRORS) as exc:
        raise notices.failure("reading its configuration", exc) from exc
    stage = "collecting the ECR and Lambda inventory"
    try:
        with region_scheduler(settings.workers, collection_deadline(time_left)) as scheduler:
            inventory = collect_account(clients, scheduler, settings.regions, settings.consumers)
        if not inventory.ecr and not inventory.functions:
            raise NothingRead(inventory.errors)
        stage = "judging what to delete"
        findings = analyse(inventory, settings.thresholds, clock())
        stage = "comparing with the last report and saving the export"
        comparison, not_compared, run_errors = keep_export(clients, settings, inventory, findings)
        stage = "formatting the report"
        report = render_details(inventory, findings, settings.email, run_errors)
        message = summary_message(inventory, findings, settings.email, comparison,
                                  replace(context_of(settings), not_compared=not_compared), run_errors)
    except Exception as exc:
        raise notices.failure(stage, exc) from exc
    sent = 0
    if settings.slack is not None:
        try:
            details = report if settings.slack.messages == FULL else None
            sent = len(send_report(notices.poster(notice_reserve(delivery)), message, details))
        except Exception as exc:
            log_undelivered(f"{message[0]}\n\n{report}")
            raise notices.failure("sending the report to Slack", exc) from exc
    return RunResult(run_summary(inventory, findings, sent, settings.dry_run, run_errors), settings, inventory,
                     findings, report, message, comparison)


def collection_deadline(time_left: Callable[[], float] | None) -> float | None:
    """When reading AWS must end (time.monotonic()'s), so the rest of the run fits the invocation; None: no limit."""
    if time_left is None:
        return None
    left = time_left()
    return time.monotonic() + left - min(COLLECTION_RESERVE_S, left * COLLECTION_RESERVE_SHARE)


def notice_reserve(delivery: Delivery) -> float:
    """Seconds the report's messages leave before the invocation's end: what a notice needs, its shortest
    try, and the time to log the report."""
    return delivery.shortest_try + LOG_RESERVE_S + LAST_NOTICE_RESERVE_S


def keep_export(clients: ClientFactory, settings: config.Settings, inventory: Inventory,
                findings: Findings) -> tuple[Comparison | None, str | None, tuple[ReadError, ...]]:
    """When REPORT_S3_URI is set: compare with the newest earlier export, then write this one, unless
    on a dry run (the history there is the scheduled report's). Whatever the earlier export holds,
    this one is written and the report goes out: a failure is the run's own error, and why the
    last report was not compared is returned for the summary."""
    if not settings.report_s3:
        return None, None, ()
    bucket, prefix = settings.report_s3
    document = export_document(inventory, findings, settings.email)
    key, comparison, not_compared, errors = export_key(prefix, document), None, None, []
    try:
        previous = previous_export(clients, settings.report_s3, key)
        comparison = compare(previous[1], document) if previous is not None else None
    except Exception as exc:  # noqa: BLE001 (whatever an earlier export holds, this month's report goes out)
        why = error_message(exc)
        errors.append(ReadError("", "S3 export", f"s3://{bucket}/{prefix} (the last report)", why))
        not_compared = clipped(f"the last report in s3://{bucket}/{prefix} could not be read ({why})", WHY_CHARS)
    document["comparison"] = comparison.as_record() if comparison else None
    if settings.dry_run:
        logger.info("A dry run: its export is not saved to s3://%s/%s, where the scheduled report keeps its history",
                    bucket, prefix)
        return comparison, not_compared, tuple(errors)
    try:
        uri = save_export(clients, settings.report_s3, document)
        logger.info("JSON export saved to %s", uri)
    except AWS_ERRORS as exc:
        errors.append(ReadError("", "S3 export", f"s3://{bucket}/{prefix}", error_message(exc)))
    return comparison, not_compared, tuple(errors)


def context_of(settings: config.Settings) -> SummaryContext:
    """Where the summary says the export is and where the details go."""
    s3_uri = f"s3://{settings.report_s3[0]}/{settings.report_s3[1]}" if settings.report_s3 else None
    if settings.slack is None:
        note = "A dry run: the details follow below."
    elif settings.slack.messages == SUMMARY:
        note = f"Details are in the JSON export in {s3_uri}." if s3_uri else "Details were not asked for."
    else:
        note = ("Details follow in this message's thread." if settings.slack.as_bot
                else "Details follow in the next messages.")
    return SummaryContext(s3_uri, note)


@cache
def settle_collector() -> None:
    """Once a process: what the imports built is left out of the cyclic collector's full passes, and young
    passes come less often, as a run parses thousands of answers whose dicts the collector would walk again."""
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])


def handle(event: Any, context: Any, delivery: Delivery = DEFAULT_DELIVERY,
           clock: Callable[[], datetime] = utc_now) -> dict[str, Any]:
    """The Lambda handler: run, print the report on a dry run, log and return the summary."""
    settle_collector()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    result = run(event, time_left=(lambda: remaining() / 1000) if callable(remaining) else None,
                 delivery=delivery, clock=clock)
    if result.settings.dry_run:
        print(f"{result.message[0]}\n\n{result.report}")
    logger.info("ECR usage report done: %s", json.dumps(result.summary, ensure_ascii=False))
    return result.summary


def run_summary(inventory: Inventory, findings: Findings, messages_sent: int, dry_run: bool,
                run_errors: tuple[ReadError, ...] = ()) -> dict[str, Any]:
    """A small JSON-serialisable result of the run, which the handler returns."""
    return {
        "regions": findings.totals.regions_scanned,
        "repositories": len(findings.totals.repositories),
        "images": findings.totals.images,
        "functions": sum(len(functions) for functions in inventory.functions.values()),
        "deletion_candidates": len(findings.candidates),
        "messages_sent": messages_sent,
        "dry_run": dry_run,
        "errors": [f"{error.where}: {error.message}"
                   for error in (*inventory.errors, *findings.policy_errors, *run_errors)],
    }


def log_undelivered(text: str) -> None:
    """The whole report in the log, in numbered parts: CloudWatch Logs cuts an event past 256 KB."""
    parts = split_message(text, LOG_PART_CHARS)
    for number, part in enumerate(parts, start=1):
        logger.error("The report could not be delivered; here it is in full (part %d of %d):\n%s",
                     number, len(parts), part)


class NothingRead(RuntimeError):
    """Every region failed: a report of nothing is no report."""

    def __init__(self, errors: tuple[ReadError, ...]) -> None:
        first = f"; the first: {errors[0].where}: {errors[0].message}" if errors else ""
        super().__init__(f"nothing could be read in any region ({len(errors)} errors{first})")
        self.errors = errors


class Notices:
    """The run's way to Slack, and its failure notices (none on a dry run), in the time left."""

    def __init__(self, time_left: Callable[[], float] | None, delivery: Delivery, post_failures: bool = True,
                 log_failures: bool = True) -> None:
        self.slack: SlackTarget | None = None
        self.time_left, self.delivery = time_left, delivery
        self.post_failures, self.log_failures = post_failures, log_failures

    def left(self, reserve_s: float) -> float | None:
        """Seconds until `reserve_s` before the invocation's time runs out (None: no limit)."""
        return None if self.time_left is None else self.time_left() - reserve_s

    def poster(self, reserve_s: float) -> SlackPoster:
        """The webhook or the bot, whose retries stop `reserve_s` before the invocation's time runs out."""
        return poster(self.slack, self.delivery, self.left(reserve_s))

    def failure(self, stage: str, exc: BaseException) -> ReportError:
        """Log a failure, post it through each way to Slack in turn (the bot, then the webhook) until
        one takes it, saying which failed, and return the error to raise."""
        text = scrub(f"ECR usage report failed while {stage}: {type(exc).__name__}: {exc}")
        if self.log_failures:
            logger.error(text)
            if isinstance(exc, NothingRead):
                logger.error("What could not be read:\n%s", "\n".join(errors_section(exc.errors)))
        failed: list[str] = []
        for way, target in ways(self.slack) if self.post_failures else []:
            notice = "\n".join([text, *failed])
            try:
                poster(target, self.delivery, self.left(LAST_NOTICE_RESERVE_S)).send_error(notice)
                break
            except Exception as slack_exc:  # the way to Slack may be what failed: the next way says so
                failed.append(f"(Posting this through {way} failed: {scrub(str(slack_exc))})")
                logger.error("The failure could not be posted to Slack through %s either: %s", way, slack_exc)
        return ReportError(text, exc)

"""One run of the report, the whole flow: settings, collect, analyse, format, save, deliver."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import boto3

from ecr_usage_report import config
from ecr_usage_report.analysis.findings import Findings, analyse
from ecr_usage_report.aws.clients import ClientFactory, shared_factory
from ecr_usage_report.aws.regions import enabled_regions
from ecr_usage_report.aws.scheduler import region_scheduler
from ecr_usage_report.deliver.s3 import save_export
from ecr_usage_report.deliver.slack import Webhook
from ecr_usage_report.inventory.collect import collect
from ecr_usage_report.inventory.model import Inventory
from ecr_usage_report.report.export import export_document
from ecr_usage_report.report.text import render

logger = logging.getLogger("ecr_usage_report")
logger.setLevel(logging.INFO)


class ReportError(RuntimeError):
    """The run failed; the message says at which stage and why (it was posted to Slack too)."""


@dataclass(frozen=True)
class RunResult:
    """What one run produced."""

    summary: dict[str, Any]
    settings: config.Settings
    inventory: Inventory
    findings: Findings
    report: str


def run(event: Any, session: boto3.Session | None = None) -> RunResult:
    """One whole run; a failure is logged, posted to Slack when it can be, and raised as ReportError.

    `session` (a named profile's, say) gets clients of its own; without one, the container's
    shared clients are used, as warm invocations reuse them.
    """
    try:
        settings = config.load(event)
    except config.ConfigError as exc:
        raise notify_failure("reading its configuration", exc, webhook_if_valid()) from exc
    stage = "collecting the ECR and Lambda inventory"
    try:
        clients = ClientFactory(session, settings.workers) if session else shared_factory(None, settings.workers)
        regions = settings.regions or enabled_regions(clients)
        with region_scheduler(settings.workers) as scheduler:
            inventory = collect(clients, scheduler, regions)
        stage = "judging what to delete"
        findings = analyse(inventory, settings.thresholds, datetime.now(timezone.utc))
        stage = "formatting the report"
        report = render(inventory, findings, settings.email)
        if settings.report_s3:
            stage = "saving the JSON export to S3"
            document = export_document(inventory, findings, settings.email)
            logger.info("JSON export saved to %s", save_export(clients, settings.report_s3, document))
    except Exception as exc:
        raise notify_failure(stage, exc, settings.webhook_url or webhook_if_valid()) from exc
    sent = 0
    if not settings.dry_run:
        try:
            sent = len(Webhook(settings.webhook_url).send(report))
        except Exception as exc:
            logger.error("The report could not be delivered; here it is in full:\n%s", report)
            raise notify_failure("sending the report to Slack", exc, settings.webhook_url) from exc
    return RunResult(summary(inventory, findings, sent, settings.dry_run), settings, inventory, findings, report)


def handle(event: Any, context: Any) -> dict[str, Any]:
    """The Lambda handler: run, print the report on a dry run, log and return the summary."""
    result = run(event)
    if result.settings.dry_run:
        print(result.report)
    logger.info("ECR usage report done: %s", json.dumps(result.summary, ensure_ascii=False))
    return result.summary


def summary(inventory: Inventory, findings: Findings, messages_sent: int, dry_run: bool) -> dict[str, Any]:
    """A small JSON-serialisable result of the run."""
    repositories = [repo for data in inventory.ecr.values() for repo in data.repositories]
    return {
        "regions": len(inventory.regions),
        "repositories": len(repositories),
        "images": sum(len(repo.images) for repo in repositories),
        "functions": sum(len(functions) for functions in inventory.functions.values()),
        "deletion_candidates": len(findings.candidates),
        "messages_sent": messages_sent,
        "dry_run": dry_run,
        "errors": [f"{error.where}: {error.message}" for error in inventory.errors],
    }


def webhook_if_valid() -> str | None:
    """SLACK_DDPS when it holds a webhook URL, to post a failure that came before the settings were read."""
    try:
        return config.webhook_url()
    except config.ConfigError:
        return None


def notify_failure(stage: str, exc: BaseException, webhook_url: str | None) -> ReportError:
    """Log a failure, post it to Slack when there is a webhook, and return the error to raise."""
    text = f"ECR usage report failed while {stage}: {type(exc).__name__}: {exc}"
    logger.error(text)
    if webhook_url:
        try:
            Webhook(webhook_url).send_error(text)
        except Exception as slack_exc:  # the webhook itself may be what failed
            logger.error("The failure could not be posted to Slack either: %s", slack_exc)
    return ReportError(text)

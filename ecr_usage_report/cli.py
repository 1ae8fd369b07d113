"""The command line of a local run (`python lambda_function.py --help`): the handler's code path."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from botocore.exceptions import ProfileNotFound

from ecr_usage_report.aws.clients import new_session
from ecr_usage_report.report.export import export_document, to_csv, to_json
from ecr_usage_report.run import ReportError, RunResult, run


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


def render(result: RunResult, output_format: str) -> str:
    """What the command line prints: the summary and the details, or an export."""
    if output_format == "text":
        return f"{result.message[0]}\n\n{result.report}"
    document = export_document(result.inventory, result.findings, result.settings.email, result.comparison)
    return to_json(document) if output_format == "json" else to_csv(document).rstrip("\n")


def main(argv: list[str] | None = None) -> int:
    """Local run: the handler's code path, printing instead of returning."""
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

"""The command line of a local run (`python lambda_function.py --help`): the handler's code path.

A failure is printed as one line naming what to fix; it is posted to Slack only with
--post-failures (a scheduled or console invocation posts every failure).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any

from botocore.exceptions import ProfileNotFound

from ecr_usage_report.aws.clients import new_session
from ecr_usage_report.redaction import scrub
from ecr_usage_report.report.export import export_document, to_csv, to_json
from ecr_usage_report.run import ReportError, RunResult, run
from ecr_usage_report.setting import ConfigError

DESCRIPTION = "Report what Amazon ECR holds and what uses each image; post it to Slack, or print it."
EPILOG = """\
what the report covers:
  ECR repositories and images in every enabled region (or --regions), and what runs each image:
  Lambda functions, ECS services and tasks, EventBridge and Scheduler schedules, Batch job
  definitions, App Runner services and EKS workloads; what could be deleted and what it would save

environment:
  EMAIL        required: the address shown as the report's account
  SLACK_DDPS   the Slack incoming webhook URL (or the ARN of the secret holding it); required unless
               SLACK_BOT_TOKEN and SLACK_CHANNEL post as a bot, and not read with --dry-run
  README.md lists every other setting (REGIONS, REPORT_S3_URI, CONSUMER_KINDS, ...)

Slack: a run without --dry-run posts the report to Slack. A failure is printed here as one line
and posted to Slack only with --post-failures.

examples:
  EMAIL=lab@example.com python lambda_function.py --profile ddps-usage --regions ap-northeast-2 --dry-run
  python lambda_function.py --regions us-east-1,ap-northeast-2 --dry-run --format csv > images.csv
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command line of a local run."""
    parser = argparse.ArgumentParser(prog="python lambda_function.py", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", help="AWS profile from ~/.aws (default: the usual boto3 chain)")
    parser.add_argument("--regions", help="comma-separated regions (default: env REGIONS, else every enabled region)")
    parser.add_argument("--dry-run", action="store_true", help="build and print the report, post nothing")
    parser.add_argument("--post-failures", action="store_true",
                        help="post a failure to Slack too, as the scheduled function does (default: print it only)")
    parser.add_argument("--format", choices=("text", "json", "csv"), default="text",
                        help="print the report (text), the whole inventory (json), or one row per image (csv)")
    return parser.parse_args(argv)


def render(result: RunResult, output_format: str) -> str:
    """What the command line prints: the summary and the details, or an export."""
    if output_format == "text":
        return f"{result.message[0]}\n\n{result.report}"
    document = export_document(result.inventory, result.findings, result.settings.email, result.comparison)
    return to_json(document) if output_format == "json" else to_csv(document).rstrip("\n")


def profile_not_found(profile: str) -> str:
    """A missing profile, with the files boto3 looked in and how to add it."""
    files = [os.environ.get(env) and f"{os.environ[env]} ({env})" or default
             for env, default in (("AWS_CONFIG_FILE", "~/.aws/config"),
                                  ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"))]
    return (f"no AWS profile named {profile!r} in {files[0]} or {files[1]}: add it (aws configure --profile"
            f" {profile}) or pass another --profile")


def failure_line(error: ReportError) -> str:
    """A failed run as one line: a setting's own message names what to fix; anything else, where it failed."""
    return scrub(str(error.cause)) if isinstance(error.cause, ConfigError) else str(error)


def main(argv: list[str] | None = None) -> int:
    """Local run: the handler's code path, printing instead of returning."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    event: dict[str, Any] = {"dry_run": args.dry_run}
    if args.regions:
        event["regions"] = args.regions.split(",")
    try:
        session = new_session(args.profile)
    except ProfileNotFound as exc:
        print(f"error: {profile_not_found(exc.kwargs.get('profile') or args.profile or '')}", file=sys.stderr)
        return 1
    try:
        result = run(event, session, post_failures=args.post_failures, log_failures=False)
    except ReportError as exc:
        print(f"error: {failure_line(exc)}", file=sys.stderr)
        return 1
    print(render(result, args.format))
    print(json.dumps(result.summary, ensure_ascii=False), file=sys.stderr)
    return 0

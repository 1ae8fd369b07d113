"""Issue 25: a local run's failure stays local, printed as one line naming what to fix; --help says
what the report covers, what it needs and when it posts."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecr_usage_report.cli import main
from slack_utils import ERROR_TITLE

ROOT = Path(__file__).resolve().parent.parent


def command_line(*args: str) -> subprocess.CompletedProcess:
    """`python lambda_function.py ARGS` in a process of its own, as a user runs it, with this test's env."""
    return subprocess.run([sys.executable, "lambda_function.py", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=60)


def test_a_failed_command_line_run_prints_one_line_and_posts_nothing(aws, slack):
    done = command_line("--regions", "us-east-9")  # not a dry run, and SLACK_DDPS is set
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == ("error: Unknown region(s): us-east-9. Use names like ap-northeast-2 or us-east-1.\n")
    assert slack.received == [] and aws.layer.calls == {}


def test_post_failures_posts_a_command_line_failure_as_the_scheduled_function_does(aws, slack, capsys):
    assert main(["--regions", "us-east-9", "--post-failures"]) == 1
    assert capsys.readouterr().err.startswith("error: Unknown region(s): us-east-9.")
    [posted] = slack.texts()
    assert posted.startswith(ERROR_TITLE) and "failed while reading its configuration" in posted


def test_an_upper_case_region_is_told_its_lower_case_name(aws, capsys):
    assert main(["--regions", "US-EAST-1,ap-northeast-2", "--dry-run"]) == 1
    assert capsys.readouterr().err == ("error: Unknown region(s): US-EAST-1. Use names like ap-northeast-2 or"
                                       " us-east-1. Region names are lower case: did you mean us-east-1?\n")


@pytest.mark.parametrize("files, shown", [
    ({}, "~/.aws/config or ~/.aws/credentials"),
    ({"AWS_CONFIG_FILE": "/lab/aws-config", "AWS_SHARED_CREDENTIALS_FILE": "/lab/aws-credentials"},
     "/lab/aws-config (AWS_CONFIG_FILE) or /lab/aws-credentials (AWS_SHARED_CREDENTIALS_FILE)"),
], ids=["default-files", "files-from-env"])
def test_a_missing_profile_names_it_and_the_files_looked_in(aws, capsys, monkeypatch, files, shown):
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name)
    for name, value in files.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", "/nonexistent-home")
    assert main(["--profile", "no-such-profile", "--dry-run"]) == 1
    assert capsys.readouterr().err == (f"error: no AWS profile named 'no-such-profile' in {shown}: add it"
                                       " (aws configure --profile no-such-profile) or pass another --profile\n")


def test_no_credentials_says_how_to_give_them(aws, capsys, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["--dry-run", "--regions", "ap-northeast-2"]) == 1
    assert capsys.readouterr().err == (
        "error: No AWS credentials found: set AWS_PROFILE (on the command line, --profile NAME), or the"
        " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY env vars, or run with a role\n")
    assert aws.layer.calls == {}


def test_help_says_what_is_covered_what_is_needed_what_posts_with_examples():
    done = command_line("--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())  # argparse wraps the options' help to the terminal's width
    for covered in ("ECR repositories and images in every enabled region", "Lambda functions", "ECS services",
                    "EventBridge and Scheduler schedules", "Batch job definitions", "App Runner services",
                    "EKS workloads"):
        assert covered in text, covered
    assert "EMAIL required" in text and "SLACK_DDPS the Slack incoming webhook URL" in text
    assert "required unless SLACK_BOT_TOKEN and SLACK_CHANNEL post as a bot" in text
    assert "a run without --dry-run posts the report to Slack" in text
    assert "posted to Slack only with --post-failures" in text
    examples = done.stdout.split("examples:\n")[1].splitlines()
    assert len(examples) == 2 and all("python lambda_function.py --" in line for line in examples)

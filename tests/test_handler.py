"""Issue 3: the report a user reads in Slack, end to end: moto over HTTP, a real local webhook."""
from __future__ import annotations

import json
import logging
import subprocess
import sys

import boto3
import pytest

import lambda_function
import slack_utils
from devtools.fake_slack import WEBHOOK_PATH, Answer
from devtools.simulated_account import DAY, FunctionSpec, ImageSpec, RegionSpec
from ecr_usage_report.deliver.slack import Delivery
from ecr_usage_report.report.times import format_kst
from ecr_usage_report.run import ReportError
from tests.helpers import fixed_clock, handler
from datetime import datetime, timezone

SEOUL, VIRGINIA, OREGON = "ap-northeast-2", "us-east-1", "us-west-2"
SECRET_PARTS = (WEBHOOK_PATH, "xoxbSecretToken123")


def kst_days_ago(seeder, days: float) -> str:
    return format_kst(datetime.fromtimestamp(seeder.now - days * DAY, tz=timezone.utc))


def report_of(slack) -> str:
    """The one report message Slack accepted."""
    texts = [t for t in slack.texts() if t.startswith("[ECR repository")]
    assert len(texts) == 1, slack.texts()
    return texts[0]


def manual_part(line: str) -> str:
    """A repository line as the manual wrote it, without the fields added after it."""
    return line.split(" / push age : ")[0]


def is_manual_line(line: str) -> bool:
    """The manual's lines: titles, repositories and their functions (not the lines added under a repository)."""
    return not line.startswith("\t- ") or line.startswith("\t- function name : ")


def test_demo_account_report_reads_as_the_manual_describes(demo, slack):
    result = handler(None, None, clock=fixed_clock(demo.now))
    d = lambda days: kst_days_ago(demo, days)
    expected_header = """[ECR repository 사용 현황]
Account: lab@example.com
{now}
해당 이미지와 연결된 람다 함수가 있는 경우 : :large_green_circle:
해당 이미지와 연결된 람다 함수가 없는 경우 : :red_circle:
push age (마지막 푸시로부터) : 6개월 미만 :large_green_circle: / 6개월 이상 :large_orange_circle: / 1년 이상 :red_circle:"""
    expected_regions = f"""====== REGION ap-northeast-2 Total Size : 6.345 GB ======
repository name : ddps/ml-inference / repository size : 4.400 GB / last pushed date : {d(20)} / current using lambda : :large_green_circle:
\t- function name : ml-inference-api / last execution time : {d(2)}
\t- function name : ml-inference-batch / last execution time : No Log Stream
repository name : ddps/image-resize / repository size : 1.215 GB / last pushed date : {d(3)} / current using lambda : :large_green_circle:
\t- function name : image-resize-canary / last execution time : {d(12)}
\t- function name : image-resize-prod / last execution time : {d(0.02)}
repository name : legacy/crawler / repository size : 0.730 GB / last pushed date : {d(420)} / current using lambda : None :red_circle:
repository name : sandbox/empty / repository size : 0.000 GB / last pushed date : - / current using lambda : None :red_circle:

====== REGION us-east-1 Total Size : 5.800 GB ======
repository name : experiments/gpu-bench / repository size : 5.800 GB / last pushed date : {d(190)} / current using lambda : None :red_circle:

====== REGION us-west-2 Total Size : 0.250 GB ======
repository name : ddps/api / repository size : 0.250 GB / last pushed date : {d(8)} / current using lambda : :large_green_circle:
\t- function name : api-prod / last execution time : No Log Group"""
    report = report_of(slack)
    assert report.startswith(expected_header.replace("{now}", d(0)) + "\n\n")
    regions = report[report.index("====== REGION"):report.index("\n\n====== DELETION CANDIDATES")]
    assert "\n".join(manual_part(line) for line in regions.split("\n") if is_manual_line(line)) == expected_regions
    assert result == {"regions": 3, "repositories": 6, "images": 12, "functions": 6, "deletion_candidates": 2,
                      "messages_sent": 2, "dry_run": False, "errors": []}
    json.dumps(result)


def test_functions_join_by_digest_after_their_tag_moved_or_went(seed, slack, monkeypatch):
    monkeypatch.setenv("REGIONS", SEOUL)
    region = RegionSpec(SEOUL, repositories={
        "app": [ImageSpec(["v1", "build-1", "latest"], 10**9, 5)],
        "app-old": [ImageSpec(["v1"], 10**9, 50)],
    })
    region.functions = [
        FunctionSpec("moved", ("app", "v1"), last_run_days_ago=1),
        FunctionSpec("untagged", ("app", "latest"), last_run_days_ago=1),
        FunctionSpec("pinned", ("app", "@0"), last_run_days_ago=1),
        FunctionSpec("old-user", ("app-old", "v1"), last_run_days_ago=1),
    ]
    seeder = seed([region])
    ecr = boto3.client("ecr", region_name=SEOUL)
    # v1 moves to a new image; `latest` is deleted outright. Each function still runs the first
    # image (Lambda resolved the digest at deploy time), so each stays with its repository.
    ecr.put_image(repositoryName="app", imageTag="v1", imageManifest=json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "sha256:" + "c" * 64},
        "layers": []}))
    ecr.batch_delete_image(repositoryName="app", imageIds=[{"imageTag": "latest"}])
    handler({}, None)
    report = report_of(slack)
    app_block = report.split("repository name : app /")[1].split("repository name :")[0]
    assert [line.split(" / ")[0] for line in app_block.splitlines()[1:]] == [
        "\t- function name : moved", "\t- function name : pinned", "\t- function name : untagged",
        "\t- warning : untagged : its tag latest no longer exists: deploying that tag fails"]
    old_block = report.split("repository name : app-old /")[1]
    assert "old-user" in old_block and "moved" not in old_block
    assert seeder.digests[(SEOUL, "app")][0]  # the image the functions resolved to


def test_function_with_many_tags_is_listed_once(seed, slack, monkeypatch):
    monkeypatch.setenv("REGIONS", SEOUL)
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["a", "b", "c"], 1, 1)]})
    region.functions = [FunctionSpec("f", ("app", "b"), last_run_days_ago=1)]
    seed([region])
    handler({}, None)
    assert report_of(slack).count("function name : f /") == 1


def test_log_lookups_once_per_group_and_errors_shown_in_place(seed, slack, aws, monkeypatch):
    monkeypatch.setenv("REGIONS", SEOUL)
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v1"], 1, 1)], "other": [ImageSpec(["v1"], 2, 1)]})
    region.functions = [
        FunctionSpec("a", ("app", "v1"), last_run_days_ago=3, log_group="/shared/group"),
        FunctionSpec("b", ("app", "v1"), log_group="/shared/group"),
        FunctionSpec("c", ("other", "v1"), last_run_days_ago=1),
    ]
    seed([region])
    aws.layer.fail(region=SEOUL, operation="DescribeLogStreams", times=1, code="AccessDeniedException",
                   message="no logs:DescribeLogStreams")
    handler({}, None)
    report = report_of(slack)
    assert sum(n for (op, _), n in aws.layer.calls.items() if op == "DescribeLogStreams") == 2
    assert "last execution time : AccessDeniedException: no logs:DescribeLogStreams" in report
    assert report.count("REGION ap-northeast-2") == 1


def test_a_failing_region_ends_the_report_in_an_errors_section(demo, slack, aws):
    aws.layer.fail(region=VIRGINIA, operation="DescribeRepositories", message="explicit deny")
    aws.layer.fail(region=OREGON, operation="ListFunctions", code="UnrecognizedClientException", message="bad token")
    result = handler({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, None)
    report = report_of(slack)
    assert report.endswith(
        "====== ERRORS: 2 could not be read; the report above is without them ======\n"
        "- ECR us-east-1 : AccessDeniedException: explicit deny\n"
        "- Lambda us-west-2 : UnrecognizedClientException: bad token")
    assert "REGION ap-northeast-2" in report and "REGION us-east-1" not in report
    assert result["errors"] == ["ECR us-east-1: AccessDeniedException: explicit deny",
                                "Lambda us-west-2: UnrecognizedClientException: bad token"]


CONSOLE_TEST_EVENT = {"key1": "value1", "key2": "value2", "key3": "value3"}
EVENTBRIDGE_EVENT = {"version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.events",
                     "account": "123456789012", "time": "2026-12-01T00:00:00Z", "region": SEOUL,
                     "resources": ["arn:aws:events:ap-northeast-2:123456789012:rule/monthly"], "detail": {}}


@pytest.mark.parametrize("event", [None, {}, CONSOLE_TEST_EVENT, EVENTBRIDGE_EVENT],
                         ids=["none", "empty", "console-test", "eventbridge"])
def test_every_ordinary_event_runs_the_report(demo, slack, event):
    assert handler(event, None)["messages_sent"] == 2
    assert report_of(slack).startswith("[ECR repository 사용 현황]")


def test_event_regions_beat_env_regions(demo, slack):
    result = lambda_function.lambda_handler({"regions": [OREGON]}, None)  # the real entry point, real pacing
    assert result["regions"] == 1 and "REGION us-west-2" in report_of(slack)


@pytest.mark.parametrize("event, message", [
    (["us-east-1"], "The event must be a JSON object or null, got list"),
    ({"regions": 5}, 'event key "regions" must be a list of region names'),
    ({"regions": []}, 'event key "regions" names no region'),
    ({"regions": ["us-east-9"]}, "Unknown region(s): us-east-9"),
], ids=["list-event", "regions-number", "regions-empty", "unknown-region"])
def test_a_bad_event_is_a_clear_error_posted_to_slack(aws, slack, event, message):
    with pytest.raises(ReportError) as raised:
        handler(event, None)
    assert message in str(raised.value)
    assert aws.layer.calls == {}  # nothing was asked of AWS
    [posted] = slack.texts()
    assert posted.startswith(slack_utils.ERROR_TITLE) and "reading its configuration" in posted


@pytest.mark.parametrize("email, message", [
    (None, "EMAIL is not set"), ("", "EMAIL is not set"), ("lab-at-example", "EMAIL is not an email address"),
], ids=["missing", "empty", "malformed"])
def test_email_missing_or_malformed_is_reported(aws, slack, monkeypatch, email, message):
    if email is None:
        monkeypatch.delenv("EMAIL")
    else:
        monkeypatch.setenv("EMAIL", email)
    with pytest.raises(ReportError, match=message):
        handler({}, None)
    assert message in slack.texts()[0]


@pytest.mark.parametrize("webhook", [None, "", "hooks.slack.com/services/T0/B0/secret-xyz"], ids=["missing", "empty", "no-scheme"])
def test_slack_webhook_missing_or_malformed_is_a_clear_error(aws, monkeypatch, caplog, webhook):
    if webhook is None:
        monkeypatch.delenv("SLACK_DDPS", raising=False)
    else:
        monkeypatch.setenv("SLACK_DDPS", webhook)
    with pytest.raises(ReportError, match="SLACK_DDPS") as raised:
        handler({}, None)
    assert "secret-xyz" not in str(raised.value) + caplog.text
    assert aws.layer.calls == {}


def test_dry_run_needs_no_webhook_and_posts_nothing(demo, capsys, monkeypatch):
    monkeypatch.delenv("SLACK_DDPS", raising=False)
    result = handler({"dry_run": True}, None)
    assert result["messages_sent"] == 0 and result["dry_run"] is True
    assert "REGION ap-northeast-2" in capsys.readouterr().out


def test_aws_failure_while_collecting_is_posted_and_the_run_fails(aws, slack):
    aws.layer.fail(operation="DescribeRegions", code="UnauthorizedOperation", message="ec2:DescribeRegions denied")
    with pytest.raises(ReportError, match="collecting the ECR and Lambda inventory"):
        handler({}, None)
    [posted] = slack.texts()
    assert "UnauthorizedOperation" in posted and "ec2:DescribeRegions denied" in posted


def test_undelivered_report_is_logged_whole_without_the_secret(demo, slack, caplog, monkeypatch):
    slack.answer_next(*[Answer(status=500, body="internal_error")] * 2)  # the report fails...
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ReportError, match="HTTP 500 internal_error") as raised:
        handler({}, None, delivery=Delivery(retries=1, backoff=0, jitter=0))
    assert "ml-inference-api" in caplog.text  # ...but it is in the function's log, whole
    assert slack.texts()[-1].startswith(slack_utils.ERROR_TITLE)  # ...and the failure reached Slack
    for part in SECRET_PARTS:
        assert part not in caplog.text and part not in str(raised.value)


def test_a_failing_region_is_not_remembered_by_the_next_invocation(demo, slack, aws):
    aws.layer.fail(region=VIRGINIA, operation="DescribeRepositories", times=1)
    assert len(handler({}, None)["errors"]) == 1
    assert handler({}, None)["errors"] == []


def test_command_line_help_and_json_output(demo):
    root = lambda_function.__file__.rsplit("/", 1)[0]
    help_text = subprocess.run([sys.executable, "lambda_function.py", "--help"], cwd=root,
                               capture_output=True, text=True, check=True).stdout
    for option in ("--profile", "--regions", "--dry-run", "--format"):
        assert option in help_text
    run = subprocess.run([sys.executable, "lambda_function.py", "--dry-run", "--format", "json", "--regions", SEOUL],
                         cwd=root, capture_output=True, text=True, check=True)
    data = json.loads(run.stdout)
    names = [r["name"] for r in data["repositories"] if r["region"] == SEOUL]
    assert sorted(names) == ["ddps/image-resize", "ddps/ml-inference", "legacy/crawler", "sandbox/empty"]
    assert data["errors"] == []


@pytest.mark.parametrize("workers, overlapped", [("1", False), (None, True)])
def test_max_workers_1_makes_one_aws_call_at_a_time(demo, aws, monkeypatch, workers, overlapped):
    # The layer counts requests it is answering at once; 20 ms each makes any overlap visible.
    if workers:
        monkeypatch.setenv("MAX_WORKERS", workers)
    aws.layer.latency = 0.02
    try:
        summary = handler({"dry_run": True}, None)
    finally:
        aws.layer.latency = 0.0
    assert summary["repositories"] > 1 and summary["errors"] == []
    assert (aws.layer.peak_in_flight > 1) is overlapped, aws.layer.peak_in_flight


def test_max_workers_caps_the_calls_in_flight(demo, aws, monkeypatch):
    # Every reader and every log lookup runs on one scheduler of MAX_WORKERS threads, so a run
    # never has more calls open at once. 20 ms per call keeps requests open long enough for the
    # layer to see every overlap.
    monkeypatch.setenv("MAX_WORKERS", "3")
    aws.layer.latency = 0.02
    try:
        summary = handler({"dry_run": True}, None)
    finally:
        aws.layer.latency = 0.0
    assert summary["errors"] == []
    assert 1 < aws.layer.peak_in_flight <= 3, aws.layer.peak_in_flight


def test_errors_are_listed_by_region_then_resource_whatever_finished_first(demo, slack, aws):
    aws.layer.fail(region=SEOUL, operation="GetLifecyclePolicy", message="no lifecycle read")
    aws.layer.fail(region=OREGON, operation="ListFunctions", message="no functions read")
    aws.layer.fail(region=VIRGINIA, operation="DescribeRepositories", message="no repositories read")
    result = handler({}, None)
    assert result["errors"] == [
        f"ECR {SEOUL}/{name}: GetLifecyclePolicy AccessDeniedException: no lifecycle read"
        for name in ("ddps/image-resize", "ddps/ml-inference", "legacy/crawler", "sandbox/empty")
    ] + [f"ECR {VIRGINIA}: AccessDeniedException: no repositories read",
         f"Lambda {OREGON}: AccessDeniedException: no functions read"]
    assert report_of(slack).endswith("- Lambda us-west-2 : AccessDeniedException: no functions read")

"""Never wrong, never lost, never leaked: bad settings, failing AWS calls and failing deliveries,
end to end over real HTTP (the simulated AWS and the local webhook)."""
from __future__ import annotations

import json
import logging
from urllib.parse import quote

import boto3
import pytest

from devtools.fake_slack import Answer
from devtools.simulated_account import ImageSpec, RegionSpec
from ecr_usage_report.cli import main, render
from ecr_usage_report.deliver.slack import Delivery
from ecr_usage_report import run as run_module
from ecr_usage_report.run import ReportError, run
from tests.helpers import handler
from slack_utils import ERROR_TITLE

SEOUL, OREGON = "ap-northeast-2", "us-west-2"


class LambdaContext:
    """The part of Lambda's context object the handler reads."""

    def __init__(self, seconds_left: float) -> None:
        self.seconds_left = seconds_left

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds_left * 1000)


def notices(slack) -> list[str]:
    return [text for text in slack.texts() if text.startswith(ERROR_TITLE)]


def reports(slack) -> list[str]:
    return [text for text in slack.texts() if "[ECR repository 사용 현황]\nAccount:" in text]


# --- every setting is checked before the first AWS call -------------------------------------------


@pytest.mark.parametrize("name, value, message", [
    ("MAX_WORKERS", "0", "MAX_WORKERS must be a whole number from 1 to 64, got '0'"),
    ("MAX_WORKERS", "1000", "MAX_WORKERS must be a whole number from 1 to 64, got '1000'"),
    ("MAX_WORKERS", "abc", "MAX_WORKERS must be a whole number from 1 to 64, got 'abc'"),
    ("IDLE_DAYS", "99999999999", "env var IDLE_DAYS must be a whole number from 0 to 36500"),
    ("UNUSED_DAYS", "1000000000", "env var UNUSED_DAYS must be a whole number from 0 to 36500"),
    ("ECR_PRICE_PER_GB_MONTH", "inf", "env var ECR_PRICE_PER_GB_MONTH must be a number from 0 to 1000"),
    ("ECR_PRICE_PER_GB_MONTH", "nan", "env var ECR_PRICE_PER_GB_MONTH must be a number from 0 to 1000"),
    ("ECR_PRICE_PER_GB_MONTH", "-0.01", "env var ECR_PRICE_PER_GB_MONTH must be a number from 0 to 1000"),
], ids=["workers-0", "workers-1000", "workers-word", "idle-huge", "unused-huge", "price-inf", "price-nan",
        "price-negative"])
def test_a_bad_setting_is_one_line_naming_it_before_any_aws_call(aws, slack, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ReportError) as raised:
        handler({}, None)
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert aws.layer.calls == {}
    [posted] = notices(slack)
    assert "reading its configuration" in posted


def test_the_command_line_prints_a_bad_setting_as_one_line(aws, capsys, monkeypatch):
    monkeypatch.setenv("MAX_WORKERS", "abc")
    assert main(["--dry-run"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "MAX_WORKERS" in err and "Traceback" not in err


@pytest.mark.parametrize("url", ["https://[hooks.slack.com/services/T0/B0/secret",
                                 "https://hooks.slack.com:abc/services/T0/B0/secret",
                                 "http://hooks.slack.com/services/T0/B0/secret",
                                 "https://hooks.slack.com%/services/T0/B0/secret",
                                 "https://hooks\uff0eslack.com/services/T0/B0/secret"],
                         ids=["unsplittable", "port-not-a-number", "plain-http", "stray-percent", "full-width-dot"])
def test_a_webhook_url_that_would_fail_later_is_refused_first_without_its_value(aws, monkeypatch, url):
    monkeypatch.setenv("SLACK_DDPS", url)
    with pytest.raises(ReportError, match="SLACK_DDPS") as raised:
        handler({}, None)
    assert "secret" not in str(raised.value) and aws.layer.calls == {}


def test_zero_days_names_every_unused_repository_whatever_its_age(seed, monkeypatch):
    monkeypatch.setenv("UNUSED_DAYS", "0")
    seed([RegionSpec(SEOUL, repositories={"pushed-yesterday": [ImageSpec(["v1"], 10**9, 1)]})])
    result = run({"dry_run": True, "regions": [SEOUL]})
    assert [c.repository.name for c in result.findings.candidates] == ["pushed-yesterday"]


def test_a_price_of_minus_zero_shows_as_zero_and_the_export_is_strict_json(seed, monkeypatch):
    monkeypatch.setenv("ECR_PRICE_PER_GB_MONTH", "-0.0")
    seed([RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v1"], 10**9, 400)]})])
    result = run({"dry_run": True, "regions": [SEOUL]})
    assert "$-0.00" not in result.report and "(at $0.00 per GB-month)" in result.report

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    json.loads(render(result, "json"), parse_constant=refuse)


def test_a_huge_event_value_is_cut_in_the_one_message_it_makes(aws, slack):
    with pytest.raises(ReportError) as raised:
        handler({"regions": "x" * 100_000}, None)
    assert len(str(raised.value)) < 300
    assert len(slack.received) == 1


def test_an_unknown_event_key_is_an_error_naming_it_and_the_known_ones(aws, slack):
    with pytest.raises(ReportError) as raised:
        handler({"dry-run": True}, None)
    assert ("Unknown event key 'dry-run': the known keys are account_role, accounts, archive_price_per_gb_month,"
            " consumer_kinds, dry_run") in str(raised.value)
    assert aws.layer.calls == {} and reports(slack) == []


def test_no_credentials_at_all_is_an_error_before_any_call(aws, slack, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(ReportError, match="No AWS credentials found"):
        handler({}, None)
    assert aws.layer.calls == {} and len(notices(slack)) == 1


# --- a dry run never posts ----------------------------------------------------------------------


@pytest.mark.parametrize("event, breaks", [
    ({"dry_run": True, "dry-run": True}, "an unknown event key"),
    ({"dry_run": True, "regions": ["us-east-9"]}, "a bad region"),
    ({"dry_run": True}, "DescribeRegions denied"),
    ({"dry_run": True}, "EMAIL unset"),
    ({"dry_run": "maybe"}, "a dry_run that is not a boolean"),
], ids=["unknown-key", "bad-region", "regions-denied", "email-unset", "dry-run-not-boolean"])
def test_a_dry_run_that_fails_posts_nothing(aws, slack, monkeypatch, event, breaks):
    if breaks == "DescribeRegions denied":
        aws.layer.fail(operation="DescribeRegions", code="UnauthorizedOperation")
    if breaks == "EMAIL unset":
        monkeypatch.delenv("EMAIL")
    with pytest.raises(ReportError) as raised:
        handler(event, None)
    assert slack.received == []
    if event.get("dry_run") == "maybe":
        assert 'event key "dry_run" must be true or false' in str(raised.value)


def test_the_command_lines_dry_run_without_email_posts_nothing(aws, slack, monkeypatch, capsys):
    monkeypatch.delenv("EMAIL")
    assert main(["--dry-run"]) == 1
    assert "EMAIL is not set" in capsys.readouterr().err and slack.received == []


# --- nothing unread goes unnamed; nothing read is lost -------------------------------------------


@pytest.mark.parametrize("denied", [False, True], ids=["missing-bucket", "put-object-denied"])
def test_a_failed_s3_export_is_listed_and_the_report_still_sent(demo, slack, aws, monkeypatch, denied):
    if denied:
        boto3.client("s3", region_name=SEOUL).create_bucket(
            Bucket="no-such-bucket", CreateBucketConfiguration={"LocationConstraint": SEOUL})
        aws.layer.fail(operation="PutObject", code="AccessDenied", status=403)
    monkeypatch.setenv("REPORT_S3_URI", "s3://no-such-bucket/ecr/")
    result = handler({}, None)
    [report] = reports(slack)
    assert f"- S3 export s3://no-such-bucket/ecr/ : {'AccessDenied' if denied else 'NoSuchBucket'}" in report
    assert [error for error in result["errors"] if error.startswith("S3 export")] != []
    assert "REGION ap-northeast-2" in report and notices(slack) == []


def test_a_denied_log_lookup_is_listed_in_errors_as_well_as_in_place(demo, slack, aws):
    aws.layer.fail(region=SEOUL, operation="DescribeLogStreams", message="no logs:DescribeLogStreams")
    result = handler({}, None)
    [report] = reports(slack)
    assert "last execution time : AccessDeniedException: no logs:DescribeLogStreams" in report
    assert "- CloudWatch Logs ap-northeast-2//aws/lambda/image-resize-prod : AccessDeniedException" in report
    logged = [error for error in result["errors"] if error.startswith("CloudWatch Logs ap-northeast-2/")]
    assert len(logged) == 4  # the four joined groups of Seoul


def test_repositories_of_a_region_whose_functions_are_unread_say_unknown_not_unused(demo, slack, aws):
    aws.layer.fail(region=OREGON, operation="ListFunctions")
    handler({}, None)
    [report] = reports(slack)
    line = next(line for line in report.split("\n") if line.startswith("repository name : ddps/api /"))
    assert "/ current using lambda : unknown /" in line and ":red_circle:" not in line.split(" / push age")[0]


def test_a_run_that_reads_nothing_ends_failed(aws, slack, monkeypatch):
    monkeypatch.setenv("REGIONS", f"{SEOUL},{OREGON}")
    aws.layer.fail(code="UnrecognizedClientException", message="The security token is invalid")
    with pytest.raises(ReportError, match="nothing could be read in any region"):
        handler({}, None)
    assert reports(slack) == [] and len(notices(slack)) == 1


# --- delivery --------------------------------------------------------------------------------------


def test_a_secret_in_the_webhooks_query_string_is_never_shown(demo, slack, monkeypatch, caplog):
    secret = "SeCrEt/Query+Token=="
    monkeypatch.setenv("SLACK_DDPS", f"{slack.url}?token={quote(secret, safe='')}")
    # Slack's answer echoes it raw, JSON-escaped, and form-decoded
    echoed = (f"internal_error at {slack.url}?token={secret} "
              + json.dumps({"url": f"{slack.url}?token={secret}"}).replace("/", "\\/") + f" {secret.replace('+', ' ')}")
    slack.answer_next(*[Answer(status=500, body=echoed)] * 2)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ReportError) as raised:
        handler({}, None, delivery=Delivery(retries=1, backoff=0, jitter=0))
    [notice] = notices(slack)
    for spelling in (secret, quote(secret, safe=""), quote(secret), "xoxbSecretToken123", secret.replace("/", "\\/"),
                     secret.replace("+", " "), "T0SECRET\\/B0SECRET"):
        for where, text in (("log", caplog.text), ("error", str(raised.value)), ("notice", notice)):
            assert spelling not in text, f"{spelling!r} in the {where}"


def test_the_webhook_and_token_in_this_functions_own_environment_never_reach_the_debug_log(
        demo, slack, monkeypatch, caplog):
    # ListFunctions answers with every function's environment: the report's own is among them
    boto3.client("lambda", region_name=SEOUL).update_function_configuration(
        FunctionName="image-resize-prod", Environment={"Variables": {
            "SLACK_DDPS": slack.url, "SLACK_BOT_TOKEN": "xoxb-3333-4444-OwnSecretToken", "DB_PASSWORD": "hunter2-db"}})
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-3333-4444-OwnSecretToken")
    monkeypatch.setenv("SLACK_CHANNEL", "C0123ABCD")
    caplog.set_level(logging.DEBUG)
    run({"dry_run": True})
    assert "ListFunctions" in caplog.text  # botocore did log the call
    for secret in ("T0SECRET", "OwnSecretToken", "hunter2-db"):
        assert secret not in caplog.text, secret


def test_an_undelivered_report_is_logged_whole_in_parts_a_log_event_can_hold(demo, slack, monkeypatch, caplog):
    monkeypatch.setattr(run_module, "LOG_PART_CHARS", 2000)
    slack.answer_next(*[Answer(status=400, body="invalid_payload")] * 2)
    with pytest.raises(ReportError):
        handler({}, None)
    parts = [record.getMessage() for record in caplog.records if "could not be delivered" in record.getMessage()]
    assert len(parts) > 3 and all(len(part.split(":\n", 1)[1]) <= 2000 for part in parts)
    assert parts[0].startswith(f"The report could not be delivered; here it is in full (part 1 of {len(parts)}):")
    whole = "\n".join(part.split(":\n", 1)[1] for part in parts)
    assert whole.startswith("ECR usage report · ") and whole.rstrip().endswith(
        "This report deletes nothing; check each candidate before you delete it.")


def test_a_webhook_that_never_answers_gets_each_message_at_most_twice(demo, slack, monkeypatch):
    slack.answer_next(*[Answer(delay=1.0)] * 10)
    with pytest.raises(ReportError, match="did not answer in time"):
        handler({}, None, delivery=Delivery(read_timeout=0.3, backoff=0, jitter=0, interval=0))
    assert len(slack.received) == 4  # the report twice, then the notice twice


def test_retries_stop_in_time_for_the_notice_before_lambdas_timeout(demo, slack):
    slack.answer_next(*[Answer(status=429, body="rate_limited", headers={"Retry-After": "30"})] * 10)
    with pytest.raises(ReportError, match="no time left to try again"):
        handler({}, LambdaContext(seconds_left=20))
    assert len(slack.received) == 2  # one try of the report, one of the notice: no 30 s wait fits


def test_a_partly_delivered_report_names_the_parts_that_did_not_arrive(demo, slack, monkeypatch):
    slack.answer_next(Answer(), Answer(), Answer(status=400, body="invalid_payload"))  # summary, details 1, 2
    with pytest.raises(ReportError, match=r"details 2 to \d+ of \d+ were not delivered; 1 were, after the summary"):
        handler({}, None, delivery=Delivery(backoff=0, jitter=0, interval=0, message_limit=1500))
    assert "were not delivered" in notices(slack)[0]

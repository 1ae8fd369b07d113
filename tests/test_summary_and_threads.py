"""A report people read: the summary first, the details after it or in its thread, what changed
since the last report, and the webhook or token kept as a secret. Real HTTP throughout: the
simulated AWS and a local server that answers like Slack's webhook and Web API."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import boto3
import pytest

from devtools.fake_slack import BOT_TOKEN, CHANNEL, Answer, block_kit_error
from devtools.simulated_account import DAY
from ecr_usage_report.analysis.comparison import Comparison
from ecr_usage_report.analysis.findings import analyse
from ecr_usage_report.analysis.rules import Thresholds
from ecr_usage_report.deliver import slack as slack_delivery
from ecr_usage_report.inventory.model import EcrRegion, Image, Inventory, Repository
from ecr_usage_report.report.summary import SummaryContext, change_lines, summary_message
from ecr_usage_report.run import ReportError, run
from tests.helpers import FAST_DELIVERY, handler

SEOUL, OREGON = "ap-northeast-2", "us-west-2"
SUMMARY_TITLE = "ECR usage report · "
SMALL_MESSAGES = slack_delivery.Delivery(backoff=0, jitter=0, interval=0, message_limit=1500)


def benchmark_like_inventory() -> Inventory:
    """300 repositories in 4 regions, as the benchmark's account, built in memory."""
    now = datetime.now(timezone.utc)
    regions = ["ap-northeast-2", "eu-west-1", "us-east-1", "us-west-2"]
    ecr = {region: [] for region in regions}
    for n in range(300):
        images = tuple(Image(f"sha256:{n:064d}", (f"v{i}",), (50 + n * 37 % 450) * 10**6, now, None, ())
                       for i in range(20))
        ecr[regions[n % 4]].append(Repository(f"team-{n % 8}/service-{n:04d}", f"uri/{n}", images, False))
    return Inventory(tuple(regions + [f"other-{n}" for n in range(34)]),
                     {region: EcrRegion(tuple(repos)) for region, repos in ecr.items()},
                     {region: () for region in regions}, {}, ())


def test_the_summary_of_a_large_account_is_short_within_slacks_limits_and_has_every_figure():
    inventory = benchmark_like_inventory()
    findings = analyse(inventory, Thresholds(unused_days=0), datetime.now(timezone.utc))
    text, blocks = summary_message(inventory, findings, "lab@example.com", None,
                           SummaryContext("s3://lab/ecr/", "Details follow in this message's thread."))
    assert len(text) <= 2000, len(text)
    assert block_kit_error({"text": text, "blocks": blocks}) is None
    assert "*300 repositories*, 6000 images" in text and "a month" in text
    assert "no earlier report in s3://lab/ecr/" in text
    assert text.count("█") > 0 and "*Deletion candidates: 300*" in text and "and 295 more" in text
    assert "*Warnings:* none" in text and "*Errors:* 0" in text


def test_the_webhook_gets_the_summary_first_then_the_numbered_details(demo, slack):
    result = handler({}, None)
    first, *details = slack.accepted()
    assert first.payload["text"].startswith(SUMMARY_TITLE) and first.payload["blocks"][0]["type"] == "header"
    assert [r.payload["text"].split("\n")[0] for r in details] == ["[ECR repository 사용 현황]"]
    assert result["messages_sent"] == 2


def test_summary_only_sends_one_message(demo, slack, monkeypatch):
    monkeypatch.setenv("SLACK_MESSAGES", "summary")
    assert handler({}, None)["messages_sent"] == 1
    [only] = slack.texts()
    assert only.startswith(SUMMARY_TITLE) and "Details were not asked for" in only


def test_as_a_bot_every_detail_is_a_reply_in_the_summarys_thread(demo, as_bot, monkeypatch):
    result = handler({}, None, delivery=SMALL_MESSAGES)
    summary_message, *replies = as_bot.accepted()
    assert summary_message.payload["channel"] == CHANNEL and "thread_ts" not in summary_message.payload
    assert len(replies) >= 3 and {r.payload["thread_ts"] for r in replies} == {summary_message.ts}
    assert replies[0].payload["text"].startswith("(1/") and result["messages_sent"] == 1 + len(replies)
    assert "Details follow in this message's thread." in summary_message.payload["text"]


@pytest.mark.parametrize("change, error", [
    ({"SLACK_CHANNEL": "C0ELSEWHERE"}, "channel_not_found"),
    ({"SLACK_BOT_TOKEN": "xoxb-not-the-token"}, "invalid_auth"),
    ({}, "not_in_channel"),
], ids=["channel-not-found", "invalid-auth", "not-in-channel"])
def test_a_web_api_refusal_is_named_and_not_retried(demo, as_bot, monkeypatch, change, error):
    for name, value in change.items():
        monkeypatch.setenv(name, value)
    if error == "not_in_channel":
        as_bot.answer_next(Answer(body=json.dumps({"ok": False, "error": "not_in_channel"})))
    with pytest.raises(ReportError, match=f"HTTP 200 {error}"):
        handler({}, None)
    assert len([r for r in as_bot.received if "chat.postMessage" in r.path]) <= 2  # the report, then the notice


def test_a_web_api_429_is_waited_out_then_delivered(demo, as_bot):
    as_bot.answer_next(Answer(status=429, body=json.dumps({"ok": False, "error": "ratelimited"}),
                              headers={"Retry-After": "0"}))
    assert handler({}, None)["messages_sent"] == 2
    assert [r.status for r in as_bot.received] == [429, 200, 200]


def grow_and_add(seeder, layer) -> None:
    """ddps/api gets a 2 GB image; a new repository appears."""
    ecr = boto3.client("ecr", region_name=OREGON)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                                      "digest": "sha256:" + "d" * 64}, "layers": []})
    digest = ecr.put_image(repositoryName="ddps/api", imageManifest=manifest, imageTag="v2")["image"]["imageId"]["imageDigest"]
    layer.ecr.image_overrides[digest] = {"imageSizeInBytes": 2 * 10**9, "imagePushedAt": seeder.now - DAY}
    ecr.create_repository(repositoryName="ddps/new-service")


def test_the_second_report_says_what_was_added_and_what_grew(demo, slack, aws, monkeypatch):
    boto3.client("s3", region_name=SEOUL).create_bucket(
        Bucket="lab-reports", CreateBucketConfiguration={"LocationConstraint": SEOUL})
    monkeypatch.setenv("REPORT_S3_URI", "s3://lab-reports/ecr/")
    first = run({}, delivery=FAST_DELIVERY)
    assert first.comparison is None and "no earlier report in s3://lab-reports/ecr/" in first.message[0]
    grow_and_add(demo, aws.layer)
    second = run({}, delivery=FAST_DELIVERY)
    text = second.message[0]
    assert "12.395 → 14.395 GB (+2.000)" in text and "$1.24 → $1.44 a month" in text
    assert "• 1 added: us-west-2 ddps/new-service (0.000 GB)" in text
    assert "• grew most: us-west-2 ddps/api +2.000 GB" in text
    s3 = boto3.client("s3", region_name=SEOUL)
    newest = max(item["Key"] for item in s3.list_objects_v2(Bucket="lab-reports")["Contents"])
    exported = json.loads(s3.get_object(Bucket="lab-reports", Key=newest)["Body"].read())["comparison"]
    assert exported["repositories_added"] == [{"region": OREGON, "name": "ddps/new-service", "size_bytes": 0}]
    assert exported["grew_most"] == [{"region": OREGON, "name": "ddps/api", "grew_bytes": 2 * 10**9}]


def test_the_last_reports_day_is_in_korea_time_as_every_date_of_the_report():
    # generated at 20:00 UTC on 30 November: 05:00 on 1 December in Seoul
    earlier = Comparison("2026-11-30T20:00:00.000000+00:00", (0, 0), (0.0, 0.0), (), (), (), ())
    [line] = change_lines(earlier, SummaryContext("s3://lab-reports/ecr/", ""))
    assert line.startswith("*Since the last report* (2026-12-01): ")


def test_an_unreadable_last_report_is_named_and_the_rest_is_sent(demo, slack, monkeypatch):
    s3 = boto3.client("s3", region_name=SEOUL)
    s3.create_bucket(Bucket="lab-reports", CreateBucketConfiguration={"LocationConstraint": SEOUL})
    s3.put_object(Bucket="lab-reports", Key="ecr/ecr-usage-report-20261101T000000.000000Z.json", Body=b"{not json")
    monkeypatch.setenv("REPORT_S3_URI", "s3://lab-reports/ecr/")
    result = handler({}, None)
    assert any(error.startswith("S3 export s3://lab-reports/ecr/ (the last report): JSONDecodeError")
               for error in result["errors"])
    assert result["messages_sent"] == 2


def test_a_webhook_kept_in_secrets_manager_is_read_once_and_never_shown(demo, slack, aws, monkeypatch, caplog):
    arn = boto3.client("secretsmanager", region_name=SEOUL).create_secret(
        Name="ecr-usage-report/webhook", SecretString=slack.url)["ARN"]
    monkeypatch.setenv("SLACK_DDPS", arn)
    caplog.set_level(logging.DEBUG)
    assert handler({}, None)["messages_sent"] == 2
    assert handler({}, None)["messages_sent"] == 2  # a warm invocation: the value is kept
    assert aws.layer.calls[("GetSecretValue", SEOUL)] == 1
    assert slack.url not in caplog.text and "T0SECRET" not in caplog.text


def test_a_binary_secret_is_a_one_line_error_naming_it(demo, slack, monkeypatch):
    arn = boto3.client("secretsmanager", region_name=SEOUL).create_secret(
        Name="ecr-usage-report/webhook", SecretBinary=slack.url.encode())["ARN"]
    monkeypatch.setenv("SLACK_DDPS", arn)
    with pytest.raises(ReportError, match=f"the secret {arn} holds no SecretString"):
        handler({}, None)


def test_a_bot_token_kept_in_ssm_posts_as_the_bot(demo, as_bot, monkeypatch, caplog):
    boto3.client("ssm", region_name=SEOUL).put_parameter(
        Name="/ecr-usage-report/slack-bot-token", Value=BOT_TOKEN, Type="SecureString")
    monkeypatch.setenv("SLACK_BOT_TOKEN", f"arn:aws:ssm:{SEOUL}:123456789012:parameter/ecr-usage-report/slack-bot-token")
    caplog.set_level(logging.DEBUG)
    assert handler({}, None)["messages_sent"] == 2
    assert BOT_TOKEN not in caplog.text


@pytest.mark.parametrize("name, value, message", [
    ("SLACK_MESSAGES", "everything", "SLACK_MESSAGES must be full or summary"),
    ("SLACK_BOT_TOKEN", "not-a-token", "SLACK_BOT_TOKEN is not a Slack bot token"),
    ("SLACK_BOT_TOKEN", "xoxb-1111-2222-Bot\u200bToken", "SLACK_BOT_TOKEN is not a Slack bot token"),
    ("SLACK_API_URL", "http://slack.example.com/api/", "SLACK_API_URL must start with https://"),
], ids=["messages", "token", "zero-width-space", "api-url"])
def test_bad_slack_settings_are_one_line_errors(aws, slack, monkeypatch, name, value, message):
    monkeypatch.setenv("SLACK_CHANNEL", CHANNEL)
    monkeypatch.setenv(name, value)
    with pytest.raises(ReportError, match=message):
        handler({}, None)
    assert aws.layer.calls == {}

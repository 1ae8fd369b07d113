"""Never lost, round two (issue 28): whatever an earlier export holds the report goes out; a comparison
knows which regions it compares; a secret is removed before any text is cut; a failure notice tries
every way to Slack; every setting's error stays one short line. Real HTTP throughout."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest

from devtools.fake_slack import BOT_TOKEN, CHANNEL, WEBHOOK_PATH, Answer
from ecr_usage_report import config
from ecr_usage_report.analysis.comparison import Comparison
from ecr_usage_report.analysis.findings import analyse
from ecr_usage_report.analysis.rules import Thresholds
from ecr_usage_report.deliver.slack import ERROR_TITLE, BotChannel, Delivery
from ecr_usage_report.inventory.model import EcrRegion, Inventory
from ecr_usage_report.report.summary import SECTION_LIMIT, SummaryContext, summary_message
from ecr_usage_report.run import ReportError, run
from ecr_usage_report.setting import ConfigError
from tests.helpers import FAST_DELIVERY, handler, post_as_bot

SEOUL, VIRGINIA, OREGON = "ap-northeast-2", "us-east-1", "us-west-2"
BUCKET, URI = "lab-reports", "s3://lab-reports/ecr/"
MEGABYTE = "x" * 1_000_000


@pytest.fixture
def history(aws, monkeypatch):
    """REPORT_S3_URI set, to an empty bucket; returns the export keys there, oldest first."""
    s3 = boto3.client("s3", region_name=SEOUL)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": SEOUL})
    monkeypatch.setenv("REPORT_S3_URI", URI)
    return lambda: sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def put_export(body: bytes) -> None:
    boto3.client("s3", region_name=SEOUL).put_object(
        Bucket=BUCKET, Key="ecr/ecr-usage-report-20261101T000000.000000Z.json", Body=body)


def notices(slack) -> list[str]:
    return [text for text in slack.texts() if text.startswith(ERROR_TITLE)]


# 1. An earlier export of any shape: this month's report is sent and its export written.
VALID_LOOKING = {"generated_at": "2026-11-01T00:00:00+00:00", "regions_scanned": [SEOUL, VIRGINIA, OREGON],
                 "summary": {"total_size_bytes": 1, "estimated_monthly_cost_usd": 0.1}, "repositories": []}
EARLIER_EXPORTS = {
    "a-list": b"[]",
    "a-string": b'"an export"',
    "total-1e999": json.dumps(VALID_LOOKING).replace('"total_size_bytes": 1', '"total_size_bytes": 1e999').encode(),
    "no-summary": json.dumps({**VALID_LOOKING, "summary": None}).encode(),
    "size-as-text": json.dumps({**VALID_LOOKING, "repositories": [{"region": SEOUL, "name": "a",
                                                                   "size_bytes": "12"}]}).encode(),
    "nested-too-deep": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("body", EARLIER_EXPORTS.values(), ids=EARLIER_EXPORTS.keys())
def test_an_earlier_export_of_any_shape_still_sends_and_writes_this_months_report(demo, slack, history, body):
    put_export(body)
    result = run({}, delivery=FAST_DELIVERY)
    assert result.summary["messages_sent"] == 2 and not notices(slack)
    assert len(history()) == 2  # this month's export is written, so next month compares with it
    assert any(error.startswith(f"S3 export {URI} (the last report): ") for error in result.summary["errors"])
    [line] = [line for line in result.message[0].splitlines() if line.startswith("*Since the last report")]
    assert line.startswith(f"*Since the last report:* not compared: the last report in {URI} could not be read (")
    assert "this is the first" not in result.message[0]


# 2. A region not read this run is neither removed nor, next month, added.
def test_a_region_unreadable_this_run_is_neither_removed_nor_added_next_month(demo, slack, history, aws):
    run({}, delivery=FAST_DELIVERY)
    aws.layer.fail(region=OREGON, operation="DescribeRepositories")
    unread = run({}, delivery=FAST_DELIVERY).message[0]
    assert "removed" not in unread and "added" not in unread
    assert "1 region left out of the comparison, not read fully by both reports (totals are over the rest):" \
           " us-west-2" in unread
    assert "12.145 → 12.145 GB (+0.000)" in unread  # Seoul and Virginia, read both times
    aws.layer.clear_failures()
    again = run({}, delivery=FAST_DELIVERY)
    assert "added" not in again.message[0] and "removed" not in again.message[0]
    assert again.comparison.left_out == (OREGON,)
    newest = json.loads(boto3.client("s3", region_name=SEOUL).get_object(Bucket=BUCKET, Key=history()[-1])["Body"]
                        .read())
    assert newest["regions_read_fully"] == [SEOUL, VIRGINIA, OREGON]
    assert newest["comparison"]["regions_left_out"] == [OREGON]


# 3. A dry run never writes where the scheduled report keeps its history.
def test_a_dry_run_with_narrowed_regions_leaves_the_history_alone(demo, slack, history):
    run({}, delivery=FAST_DELIVERY)
    dry = run({"dry_run": True, "regions": [SEOUL]}, delivery=FAST_DELIVERY)
    assert dry.comparison is not None and len(history()) == 1
    scheduled = run({}, delivery=FAST_DELIVERY).message[0]
    assert "added" not in scheduled and len(history()) == 2


# 4. A secret is removed before Slack's answer is cut.
def echo_cut_inside(secret_at: int) -> str:
    """An error answer whose echoed secret starts 12 characters before the old 200-character cut."""
    return "x" * (200 - 12 - secret_at) + " {url} {authorization}"


def test_an_error_answer_echoing_the_webhook_shows_none_of_its_secret_path(demo, slack, caplog):
    slack.answer_next(*[Answer(status=400, body=echo_cut_inside(len(slack.root) + 1), echo=True)] * 3)
    with pytest.raises(ReportError) as raised:
        handler({}, None)
    for where, text in (("error", str(raised.value)), ("log", caplog.text), ("notice", "\n".join(notices(slack)))):
        assert WEBHOOK_PATH[:12] not in text and "T0SECRET" not in text, where


def test_an_error_answer_echoing_the_bot_token_shows_none_of_it(slack, caplog):
    slack.answer_next(Answer(status=502, body="x" * (200 - 12 - len("Bearer ")) + "{authorization}", echo=True))
    bot = BotChannel(BOT_TOKEN, CHANNEL, slack.api_url, Delivery(retries=0))
    with pytest.raises(Exception) as raised:
        bot.post_message("hello")
    assert "Bearer" in str(raised.value) and BOT_TOKEN[:12] not in str(raised.value)
    assert BOT_TOKEN[:12] not in caplog.text


# 5. A revoked bot token: the failure notice goes through the webhook, and says the bot failed.
def test_a_revoked_bot_token_posts_the_failure_through_the_webhook(demo, slack, monkeypatch):
    post_as_bot(monkeypatch, slack, token="xoxb-9999-8888-RevokedToken")
    with pytest.raises(ReportError, match="invalid_auth"):
        handler({}, None)
    [notice] = notices(slack)
    assert [r.path for r in slack.accepted()] == [WEBHOOK_PATH]
    assert "(Posting this through the bot failed: Slack refused the message: HTTP 200 invalid_auth)" in notice


# 6. A 200 saying ratelimited is retried like a 429.
def test_a_200_ratelimited_answer_is_retried_like_a_429(slack):
    slack.answer_next(Answer(status=200, body='{"ok": false, "error": "ratelimited"}', headers={"Retry-After": "0"}))
    bot = BotChannel(BOT_TOKEN, CHANNEL, slack.api_url, Delivery(backoff=0, jitter=0), sleep=lambda _s: None)
    bot.post_message("hello")
    assert [r.accepted for r in slack.received] == [False, True]


# 7. A message that can be sent in the time left is sent.
def test_a_message_that_fits_in_the_time_left_is_sent_not_refused(demo, slack):
    result = run({}, time_left=lambda: 19.0, delivery=FAST_DELIVERY)
    assert result.summary["messages_sent"] == 2 and not notices(slack)


# 8. Every setting's error shows a short prefix of a bad value.
def one_short_line(error: Exception) -> bool:
    return "\n" not in str(error) and len(str(error)) < 400


@pytest.mark.parametrize("value", [MEGABYTE, ",".join(["bad"] * 250_000), ["bad"] * 250_000, [MEGABYTE]],
                         ids=["text", "many-words", "list", "list-of-one"])
@pytest.mark.parametrize("key", sorted(config.EVENT_KEYS))
def test_every_event_keys_error_on_a_1mb_value_is_one_short_line(key, value):
    with pytest.raises(ConfigError) as raised:
        config.load({key: value}, config.dry_run_of({key: value}), {"EMAIL": "lab@example.com"})
    assert one_short_line(raised.value)


@pytest.mark.parametrize("name", ["EMAIL", "REGIONS", "REPORT_S3_URI", "MAX_WORKERS", "CONSUMER_KINDS",
                                  "SLACK_MESSAGES", "SLACK_CHANNEL", "UNUSED_DAYS", "ECR_PRICE_PER_GB_MONTH"])
def test_every_env_vars_error_on_a_1mb_value_is_one_short_line(name):
    environ = {"EMAIL": "lab@example.com", "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_CHANNEL": CHANNEL, name: MEGABYTE}
    with pytest.raises(ConfigError) as raised:
        config.load({}, False, environ)
    assert one_short_line(raised.value)


# 9. A secret holding JSON is read by its key, or refused naming the secret.
def test_a_secret_holding_json_is_read_by_its_key(demo, slack, monkeypatch):
    arn = boto3.client("secretsmanager", region_name=SEOUL).create_secret(
        Name="ecr-usage-report/webhook", SecretString=json.dumps({"url": slack.url}))["ARN"]
    monkeypatch.setenv("SLACK_DDPS", arn)
    assert handler({}, None)["messages_sent"] == 2


def test_a_secret_holding_json_without_the_key_is_refused_naming_the_secret(demo, slack, monkeypatch):
    arn = boto3.client("secretsmanager", region_name=SEOUL).create_secret(
        Name="ecr-usage-report/webhook", SecretString=json.dumps({"address": slack.url, "team": "ddps"}))["ARN"]
    monkeypatch.setenv("SLACK_DDPS", arn)
    with pytest.raises(ReportError) as raised:
        handler({}, None)
    assert f"the secret {arn} holds JSON without a text value under url or webhook" in str(raised.value)
    assert "SLACK_DDPS is not a URL" not in str(raised.value) and "T0SECRET" not in str(raised.value)


def test_a_secret_holding_something_else_is_named_not_the_env_var(demo, slack, monkeypatch):
    arn = boto3.client("secretsmanager", region_name=SEOUL).create_secret(
        Name="ecr-usage-report/webhook", SecretString="not a webhook")["ARN"]
    monkeypatch.setenv("SLACK_DDPS", arn)
    with pytest.raises(ReportError, match=f"the secret {arn} does not hold a Slack webhook URL"):
        handler({}, None)


# 10 and 11. A section over Slack's limit is cut on a line with a mark; the fallback text is escaped.
def tiny_report(comparison: Comparison | None, email: str = "lab@example.com") -> tuple[str, list[dict]]:
    inventory = Inventory((SEOUL,), {SEOUL: EcrRegion(())}, {SEOUL: ()}, {}, ())
    findings = analyse(inventory, Thresholds(), datetime(2026, 12, 1, tzinfo=timezone.utc))
    return summary_message(inventory, findings, email, comparison, SummaryContext(URI, "Details follow."))


def test_a_summary_section_over_slacks_limit_ends_on_a_line_with_what_was_left_out():
    names = tuple((SEOUL, f"team/{'service-' * 30}{n}") for n in range(5))
    text, blocks = tiny_report(Comparison("2026-11-01T00:00:00+00:00", (0, 1), (0.0, 0.1), names, names,
                                          tuple((key, 10**9) for key in names), names))
    [changes] = [b["text"]["text"] for b in blocks if b["text"]["text"].startswith("*Since the last report*")]
    assert len(changes) <= SECTION_LIMIT
    *kept, mark = changes.split("\n")
    assert mark == "… and 2 more lines, past Slack's limit for a section"
    assert all(line in text.split("\n") for line in kept)
    assert "• grew most: " in text


def test_an_email_that_is_not_an_address_is_refused_and_the_fallback_text_escapes_what_it_shows():
    for email in ("<!channel>@example.com", "a b@example.com", "lab&co@example.com", "lab@example"):
        with pytest.raises(ConfigError, match="EMAIL is not an email address"):
            config.load({}, True, {"EMAIL": email})
    text, _blocks = tiny_report(None, email="<!channel>@example.com")
    assert "<!channel>" not in text and "&lt;!channel&gt;@example.com" in text

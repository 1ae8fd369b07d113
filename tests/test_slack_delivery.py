"""Delivery to the Slack webhook over real HTTP (devtools.fake_slack): whole, in order, retried, secret kept.

Nothing in requests or urllib3 is patched. The waits between tries and between messages are
recorded by an injected sleep instead of being slept, so no test depends on the clock.
"""
from __future__ import annotations

import logging
import re
import socket
import traceback

import pytest

import slack_utils
from devtools.fake_slack import WEBHOOK_PATH, Answer, FakeSlack
from ecr_usage_report.deliver.slack import REDACTED, Delivery, SlackDeliveryError, Webhook
from ecr_usage_report.deliver.slack_settings import SlackConfigError, SlackTarget, poster
from ecr_usage_report.deliver.split import SLACK_TEXT_LIMIT
from ecr_usage_report.report.mrkdwn import escape_for_slack
from tests.helpers import realistic_report

TOKEN = "xoxbSecretToken123"
assert WEBHOOK_PATH.endswith(TOKEN)


class Recorded:
    """A webhook whose waits are recorded, not slept: jitter off, so each wait is exact."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def webhook(self, url: str, **delivery: float) -> Webhook:
        return poster(SlackTarget(url, None), Delivery(**{"jitter": 0.0, **delivery}), sleep=self.waits.append)


@pytest.fixture
def waits() -> Recorded:
    return Recorded()


@pytest.fixture
def closed_port_url(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> str:
    """SLACK_DDPS pointing at a local port nobody listens on, with the same secret path."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    monkeypatch.setenv("SLACK_DDPS", url)
    return url


def statuses(slack: FakeSlack) -> list[int]:
    return [r.status for r in slack.received]


# --- success and retries ------------------------------------------------------------------------


def test_short_report_is_one_post_of_json_text(slack, waits):
    report = "repository name : repo-1 / repository size : 0.125 GB\n\t- function name : fn-1"

    responses = waits.webhook(slack.url).send(report)

    assert [r.status_code for r in responses] == [200]
    assert len(slack.received) == 1
    assert slack.received[0].path == WEBHOOK_PATH
    assert slack.received[0].payload == {"text": report}  # parsed as JSON by the server
    assert waits.waits == []


def test_429_with_retry_after_is_waited_out_then_delivered_once(slack, waits):
    slack.answer_next(Answer(status=429, body="rate_limited", headers={"Retry-After": "1"}))

    responses = waits.webhook(slack.url).send("hello")

    assert [r.status_code for r in responses] == [200]
    assert statuses(slack) == [429, 200]
    assert slack.texts() == ["hello"]
    assert waits.waits == [1.0], "Retry-After: 1 was not honoured"


def test_retry_after_is_capped(slack, waits):
    """A Retry-After of an hour must not make the Lambda sleep an hour."""
    slack.answer_next(Answer(status=429, body="rate_limited", headers={"Retry-After": "3600"}))

    waits.webhook(slack.url, max_retry_after=30.0).send("hello")

    assert waits.waits == [30.0]
    assert statuses(slack) == [429, 200]


def test_retries_back_off_exponentially_with_jitter_added(slack):
    slack.answer_next(*[Answer(status=503, body="service_unavailable")] * 3)
    waits: list[float] = []

    Webhook(slack.url, Delivery(backoff=0.5, jitter=0.25), sleep=waits.append, jitter=lambda: 1.0).send("hello")

    assert waits == [0.75, 1.25, 2.25]  # 0.5, 1 and 2 seconds, each with its (here largest) jitter
    assert statuses(slack) == [503, 503, 503, 200]


def test_500_then_503_then_success_is_delivered(slack, waits):
    slack.answer_next(Answer(status=500, body="internal_error"), Answer(status=503, body="service_unavailable"))

    responses = waits.webhook(slack.url).send("hello")

    assert [r.status_code for r in responses] == [200]
    assert statuses(slack) == [500, 503, 200]
    assert slack.texts() == ["hello"]


@pytest.mark.parametrize(
    "status, body",
    [pytest.param(500, "internal_error", id="500"), pytest.param(503, "service_unavailable", id="503")],
)
def test_5xx_on_every_try_raises_after_all_retries(slack, waits, status, body):
    slack.answer_next(*[Answer(status=status, body=body)] * 10)  # more than needed: a 4th try would fail too

    with pytest.raises(SlackDeliveryError) as caught:
        waits.webhook(slack.url, retries=2).send("hello")

    assert f"HTTP {status}" in str(caught.value)
    assert body in str(caught.value)
    assert len(slack.received) == 3


@pytest.mark.parametrize(
    "status, body",
    [
        pytest.param(400, "invalid_payload", id="400-invalid_payload"),
        pytest.param(404, "no_service", id="404-no_service"),
        pytest.param(403, "action_prohibited", id="403-action_prohibited"),
    ],
)
def test_other_4xx_is_not_retried_and_names_slacks_answer(slack, waits, status, body):
    slack.answer_next(Answer(status=status, body=body), Answer(status=status, body=body))

    with pytest.raises(SlackDeliveryError) as caught:
        waits.webhook(slack.url).send("hello")

    assert len(slack.received) == 1
    assert body in str(caught.value)
    assert str(status) in str(caught.value)
    assert waits.waits == []


def test_a_refused_message_stops_the_report_so_nothing_arrives_out_of_order(slack, waits):
    report = realistic_report(100_000)  # 3 messages
    slack.answer_next(Answer(), Answer(status=400, body="invalid_payload"))

    with pytest.raises(SlackDeliveryError, match="invalid_payload"):
        waits.webhook(slack.url).send(report)

    assert len(slack.received) == 2
    assert len(slack.texts()) == 1 and slack.texts()[0].startswith("(1/")


# --- timeouts and unreachable webhook -----------------------------------------------------------


def test_timeout_then_200_is_delivered(slack, waits):
    """A reply slower than the read timeout is retried, and the retry is delivered.

    Note: the timed-out POST reached the server and may well have been posted to the channel (here
    FakeSlack accepted it), so a timeout can show the message twice. Retrying is chosen over losing it.
    """
    slack.answer_next(Answer(delay=1.0))

    responses = waits.webhook(slack.url, read_timeout=0.3).send("hello")

    assert [r.status_code for r in responses] == [200]
    assert len(slack.received) == 2
    assert slack.received[-1].payload == {"text": "hello"}


def test_a_webhook_that_never_answers_gets_the_message_at_most_twice(slack, waits):
    # Each timed-out POST may have reached the channel: one re-send is worth a duplicate, four are not.
    slack.answer_next(*[Answer(delay=1.0)] * 10)

    with pytest.raises(SlackDeliveryError) as caught:
        waits.webhook(slack.url, retries=4, read_timeout=0.3).send("hello")

    message = str(caught.value)
    assert "did not answer in time" in message
    assert re.search(r"timed out", message, re.IGNORECASE), message
    assert len(slack.received) == 2


def test_connection_refused_raises_without_the_secret_path(closed_port_url, waits):
    with pytest.raises(SlackDeliveryError) as caught:
        waits.webhook(closed_port_url, retries=1).send("hello")

    message = str(caught.value)
    assert "unreachable" in message
    assert "refused" in message.lower()
    assert WEBHOOK_PATH not in message
    assert TOKEN not in message


# --- a long report ------------------------------------------------------------------------------


def test_100k_report_arrives_whole_numbered_in_order_and_paced(slack, waits):
    report = realistic_report(100_000)

    responses = waits.webhook(slack.url, interval=1.0).send(report)

    texts = slack.texts()
    total = len(texts)
    assert total >= 3
    assert len(responses) == total and len(slack.received) == total
    assert all(len(text) <= SLACK_TEXT_LIMIT for text in texts)
    bodies = []
    for index, text in enumerate(texts, start=1):
        prefix = f"({index}/{total}) "
        assert text.startswith(prefix), f"message {index} starts {text[:20]!r}"
        bodies.append(text[len(prefix):])
    assert "\n".join(bodies) == escape_for_slack(report)
    assert waits.waits == [1.0] * (total - 1), "messages were not paced"


# --- the webhook URL never leaks ----------------------------------------------------------------


def exception_chain(exc: BaseException) -> list[BaseException]:
    """exc and every exception reachable through __cause__ and __context__ (suppressed or not)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [current.__cause__, current.__context__]
    return seen


FAILURE_MODES = {
    "5xx-every-try": ([Answer(status=503, body="service_unavailable")] * 5, "HTTP 503"),
    "429-every-try": ([Answer(status=429, body="rate_limited", headers={"Retry-After": "0"})] * 5, "HTTP 429"),
    "400-invalid_payload": ([Answer(status=400, body="invalid_payload")], "invalid_payload"),
    "404-no_service": ([Answer(status=404, body="no_service")], "no_service"),
    "403-action_prohibited": ([Answer(status=403, body="action_prohibited")], "action_prohibited"),
    "error-body-echoes-url": ([Answer(status=400, body="invalid_payload for {url}")], "invalid_payload for"),
    "timeout-every-try": ([Answer(delay=1.0)] * 5, "timed out"),
    "connection-refused": ([], "refused"),
}


def test_delivery_stops_while_there_is_time_to_say_what_was_not_sent(slack):
    # A clock that the pacing moves on: a second a message, and 30 s left when the report starts.
    now = [0.0]
    webhook = Webhook(slack.url, Delivery(jitter=0.0, interval=1.0, connect_timeout=3.0, read_timeout=10.0,
                                                  message_limit=2000),
                      sleep=lambda seconds: now.__setitem__(0, now[0] + seconds), clock=lambda: now[0], deadline=30.0)
    report = realistic_report(100_000)
    with pytest.raises(SlackDeliveryError, match=r"no time left to send it before the function's timeout \(messages"
                                                 r" 27 to \d+ of \d+ were not delivered; 26 were\)"):
        webhook.send(report)
    # the 27th, 25 s in, would have needed 1 s of pacing and 5 s for its shortest try (3 s to connect, 2 s to
    # answer); a try nearer the deadline waits for its answer only until the deadline (issue 28)
    assert len(slack.received) == 26


@pytest.mark.parametrize("mode", list(FAILURE_MODES), ids=list(FAILURE_MODES))
def test_secret_webhook_never_leaks(mode, slack, waits, caplog, request):
    caplog.set_level(logging.DEBUG)
    answers, expected = FAILURE_MODES[mode]
    slack.answer_next(*[Answer(a.status, a.body and a.body.format(url=slack.url), a.headers, a.delay)
                        for a in answers])
    url = request.getfixturevalue("closed_port_url") if mode == "connection-refused" else slack.url

    with pytest.raises(SlackDeliveryError) as caught:
        waits.webhook(url, retries=1, read_timeout=0.3).send("hello")

    exc = caught.value
    assert expected.lower() in str(exc).lower()
    assert "urllib3.connectionpool" in caplog.text, "urllib3's request log was not captured"
    if mode not in ("timeout-every-try", "connection-refused"):  # only an answered request's path is logged
        assert REDACTED in caplog.text
    places = {
        "str(exception)": str(exc),
        "repr(exception)": repr(exc),
        "formatted traceback": "".join(traceback.format_exception(exc)),
        "log": caplog.text,
    }
    for n, linked in enumerate(exception_chain(exc)[1:], start=1):
        places[f"chained exception #{n} {type(linked).__name__}"] = f"{linked}\n{linked!r}"
    leaks = [
        f"{secret!r} in {where}"
        for where, text in places.items()
        for secret in (url, WEBHOOK_PATH, TOKEN)
        if secret in text
    ]
    assert not leaks, "webhook leaked: " + "; ".join(leaks)


# --- configuration ------------------------------------------------------------------------------

HINT = "https://hooks.slack.com/services/..."  # the example URL the error message gives as a hint


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("not-a-url", id="not-a-url"),
        pytest.param("ftp://x/y", id="ftp-scheme"),
        pytest.param("https://hooks.slack.com", id="no-path"),
        pytest.param("https://hooks.slack.com/", id="root-path"),
        pytest.param("{root}", id="fake-slack-without-path"),
        pytest.param("{root}/", id="fake-slack-root-path"),
    ],
)
def test_bad_slack_ddps_raises_config_error_before_any_request(slack, monkeypatch, value):
    root = slack.url[: -len(WEBHOOK_PATH)]
    if value is None:
        monkeypatch.delenv("SLACK_DDPS", raising=False)
    else:
        value = value.format(root=root)
        monkeypatch.setenv("SLACK_DDPS", value)

    with pytest.raises(SlackConfigError) as caught:
        slack_utils.send_report_to_slack("hello")

    message = str(caught.value)
    assert "SLACK_DDPS" in message
    if value and value.strip():
        assert value not in message.replace(HINT, "<hint>"), "the bad value was echoed"
    assert slack.received == []


# --- error notices ------------------------------------------------------------------------------


def test_error_message_has_the_title_first_and_the_escaped_message(slack):
    response = slack_utils.send_error_message_to_slack("describe_images failed in us-east-1: <AccessDenied> & stop")

    assert response.status_code == 200
    [text] = slack.texts()
    assert text.split("\n")[0] == slack_utils.ERROR_TITLE
    assert "describe_images failed in us-east-1: &lt;AccessDenied&gt; &amp; stop" in text
    assert "<AccessDenied>" not in text


def test_the_manuals_functions_post_to_the_webhook_in_slack_ddps(slack):
    slack_utils.send_message_to_slack("a <b> & c")
    slack_utils.send_report_to_slack("the report")

    assert slack.texts() == ["a &lt;b&gt; &amp; c", "the report"]


@pytest.mark.parametrize("blocks", [
    [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51,
    [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
    [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
], ids=["51-blocks", "long-section", "long-header"])
def test_blocks_past_slacks_limits_are_refused_as_slack_refuses_them(slack, waits, blocks):
    with pytest.raises(SlackDeliveryError, match="HTTP 400 invalid_blocks"):
        waits.webhook(slack.url).post_message("fallback text", blocks)

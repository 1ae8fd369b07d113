"""Delivery to the Slack webhook over real HTTP (devtools.fake_slack): whole, in order, retried, secret kept.

Nothing in requests/urllib3 is patched; only slack_utils' own constants are tuned with monkeypatch.
"""
from __future__ import annotations

import logging
import os
import re
import socket
import time
import traceback

import pytest

import slack_utils
from devtools.fake_slack import WEBHOOK_PATH, Answer, FakeSlack
from slack_split import SLACK_TEXT_LIMIT, escape_for_slack
from slack_utils import SlackConfigError, SlackDeliveryError

TOKEN = "xoxbSecretToken123"
assert WEBHOOK_PATH.endswith(TOKEN)


def realistic_report(min_chars: int) -> str:
    """Report lines as the Lambda writes them: a repository line, then its tab-indented functions."""
    lines: list[str] = []
    size = 0
    repo = 0
    while size < min_chars:
        block = [
            f"repository name : repo-{repo} / repository size : {repo % 97 + 0.125:.3f} GB"
            " / current using lambda : :large_green_circle:"
        ]
        block += [
            f"\t- function name : fn-{repo}-{fn} / last execution time : 2026-11-28 09:00"
            for fn in range(repo % 4)
        ]
        lines += block
        size += sum(len(line) + 1 for line in block)
        repo += 1
    return "\n".join(lines)


@pytest.fixture
def retries(monkeypatch: pytest.MonkeyPatch):
    """retries(n): at most n retries after the first try (backoff before the 2nd retry is ~1 s)."""

    def set_retries(n: int) -> None:
        monkeypatch.setattr(slack_utils, "RETRIES", n)

    return set_retries


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


def test_short_report_is_one_post_of_json_text(slack):
    report = "repository name : repo-1 / repository size : 0.125 GB\n\t- function name : fn-1"

    responses = slack_utils.send_report_to_slack(report)

    assert [r.status_code for r in responses] == [200]
    assert len(slack.received) == 1
    assert slack.received[0].path == WEBHOOK_PATH
    assert slack.received[0].payload == {"text": report}  # parsed as JSON by the server


def test_429_with_retry_after_is_waited_out_then_delivered_once(slack):
    slack.answer_next(Answer(status=429, body="rate_limited", headers={"Retry-After": "1"}))

    responses = slack_utils.send_report_to_slack("hello")

    assert [r.status_code for r in responses] == [200]
    assert statuses(slack) == [429, 200]
    assert slack.texts() == ["hello"]
    first, second = slack.received
    assert second.at - first.at >= 0.95, "Retry-After: 1 was not honoured"


def test_retry_after_is_capped(slack, monkeypatch):
    """A Retry-After of an hour must not make the Lambda sleep an hour."""
    monkeypatch.setattr(slack_utils, "MAX_RETRY_AFTER_SECONDS", 0.2)
    slack.answer_next(Answer(status=429, body="rate_limited", headers={"Retry-After": "3600"}))

    started = time.monotonic()
    slack_utils.send_report_to_slack("hello")

    assert time.monotonic() - started < 5
    assert statuses(slack) == [429, 200]


def test_500_then_503_then_success_is_delivered(slack):
    slack.answer_next(Answer(status=500, body="internal_error"), Answer(status=503, body="service_unavailable"))

    responses = slack_utils.send_report_to_slack("hello")

    assert [r.status_code for r in responses] == [200]
    assert statuses(slack) == [500, 503, 200]
    assert slack.texts() == ["hello"]


@pytest.mark.parametrize(
    "status, body",
    [pytest.param(500, "internal_error", id="500"), pytest.param(503, "service_unavailable", id="503")],
)
def test_5xx_on_every_try_raises_after_all_retries(slack, retries, status, body):
    retries(2)
    slack.answer_next(*[Answer(status=status, body=body)] * 10)  # more than needed: a 4th try would fail too

    with pytest.raises(SlackDeliveryError) as caught:
        slack_utils.send_report_to_slack("hello")

    assert f"HTTP {status}" in str(caught.value)
    assert body in str(caught.value)
    assert len(slack.received) == slack_utils.RETRIES + 1 == 3


@pytest.mark.parametrize(
    "status, body",
    [
        pytest.param(400, "invalid_payload", id="400-invalid_payload"),
        pytest.param(404, "no_service", id="404-no_service"),
        pytest.param(403, "action_prohibited", id="403-action_prohibited"),
    ],
)
def test_other_4xx_is_not_retried_and_names_slacks_answer(slack, status, body):
    slack.answer_next(Answer(status=status, body=body), Answer(status=status, body=body))

    with pytest.raises(SlackDeliveryError) as caught:
        slack_utils.send_report_to_slack("hello")

    assert len(slack.received) == 1
    assert body in str(caught.value)
    assert str(status) in str(caught.value)


def test_a_refused_message_stops_the_report_so_nothing_arrives_out_of_order(slack):
    report = realistic_report(100_000)  # 3 messages
    slack.answer_next(Answer(), Answer(status=400, body="invalid_payload"))

    with pytest.raises(SlackDeliveryError, match="invalid_payload"):
        slack_utils.send_report_to_slack(report)

    assert len(slack.received) == 2
    assert len(slack.texts()) == 1 and slack.texts()[0].startswith("(1/")


# --- timeouts and unreachable webhook -----------------------------------------------------------


def test_timeout_then_200_is_delivered(slack, monkeypatch):
    """A reply slower than the read timeout is retried, and the retry is delivered.

    Note: the timed-out POST reached the server and may well have been posted to the channel (here
    FakeSlack accepted it), so a timeout can show the message twice. Retrying is chosen over losing it.
    """
    monkeypatch.setattr(slack_utils, "READ_TIMEOUT_SECONDS", 0.3)
    slack.answer_next(Answer(delay=1.0))

    started = time.monotonic()
    responses = slack_utils.send_report_to_slack("hello")

    assert [r.status_code for r in responses] == [200]
    assert len(slack.received) == 2
    assert slack.received[-1].payload == {"text": "hello"}
    assert time.monotonic() - started < 1.0, "the client waited for the slow reply instead of timing out"


def test_timeout_on_every_try_raises_a_clear_error(slack, monkeypatch, retries):
    retries(2)
    monkeypatch.setattr(slack_utils, "READ_TIMEOUT_SECONDS", 0.3)
    slack.answer_next(*[Answer(delay=1.0)] * 10)

    with pytest.raises(SlackDeliveryError) as caught:
        slack_utils.send_report_to_slack("hello")

    message = str(caught.value)
    assert "unreachable" in message
    assert re.search(r"timed out", message, re.IGNORECASE), message
    assert len(slack.received) == 3


def test_connection_refused_raises_without_the_secret_path(closed_port_url, retries):
    retries(1)

    with pytest.raises(SlackDeliveryError) as caught:
        slack_utils.send_report_to_slack("hello")

    message = str(caught.value)
    assert "unreachable" in message
    assert "refused" in message.lower()
    assert WEBHOOK_PATH not in message
    assert TOKEN not in message


# --- a long report ------------------------------------------------------------------------------


def test_100k_report_arrives_whole_numbered_in_order_and_paced(slack, monkeypatch):
    monkeypatch.setattr(slack_utils, "MIN_INTERVAL_SECONDS", 1.0)
    report = realistic_report(100_000)

    responses = slack_utils.send_report_to_slack(report)

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
    gaps = [b.at - a.at for a, b in zip(slack.received, slack.received[1:])]
    assert min(gaps) >= 0.9, f"messages were not paced: gaps {gaps}"


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


@pytest.mark.parametrize("mode", list(FAILURE_MODES), ids=list(FAILURE_MODES))
def test_secret_webhook_never_leaks(mode, slack, retries, monkeypatch, caplog, request):
    caplog.set_level(logging.DEBUG)
    retries(1)
    monkeypatch.setattr(slack_utils, "READ_TIMEOUT_SECONDS", 0.3)
    answers, expected = FAILURE_MODES[mode]
    slack.answer_next(*[Answer(a.status, a.body.format(url=slack.url), a.headers, a.delay) for a in answers])
    if mode == "connection-refused":
        request.getfixturevalue("closed_port_url")
    url = os.environ["SLACK_DDPS"]

    with pytest.raises(SlackDeliveryError) as caught:
        slack_utils.send_report_to_slack("hello")

    exc = caught.value
    assert expected.lower() in str(exc).lower()
    assert slack_utils.REDACTED in caplog.text, "urllib3's request log was not captured"
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

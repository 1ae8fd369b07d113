"""Splitting a long report into Slack messages: nothing lost, nothing reordered, nothing too long."""
from __future__ import annotations

import pytest

from ecr_usage_report.deliver.split import (
    NUMBER_ROOM,
    SLACK_TEXT_LIMIT,
    number_messages,
    split_message,
)
from ecr_usage_report.report.mrkdwn import escape_for_slack
from tests.helpers import realistic_report


def block(repo: str, functions: int) -> list[str]:
    """A repository line and its function lines (about 30 characters each)."""
    return [f"repository name : {repo}"] + [f"\t- function name : {repo}-fn{n}" for n in range(functions)]


# --- every line kept, in order --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, limit",
    [
        pytest.param("one line", 100, id="single-short-line"),
        pytest.param("a\nb\nc", 100, id="three-lines-one-message"),
        pytest.param("line\n", 100, id="trailing-newline"),
        pytest.param("\n\nmiddle\n\n", 100, id="blank-lines-kept"),
        pytest.param("\t- orphan function line first\nrepo", 100, id="starts-with-indented-line"),
        pytest.param("\n".join(f"line number {n:04d}" for n in range(500)), 100, id="many-lines-small-limit"),
        pytest.param(realistic_report(100_000), SLACK_TEXT_LIMIT - 1_000, id="realistic-100k-default-limit"),
    ],
)
def test_split_message_joined_with_newlines_gives_the_text_back(text, limit):
    messages = split_message(text, limit)
    assert "\n".join(messages) == text


@pytest.mark.parametrize(
    "text, limit",
    [
        pytest.param("\n".join(f"line number {n:04d}" for n in range(500)), 100, id="many-short-lines"),
        pytest.param("x" * 1_000, 100, id="one-long-line"),
        pytest.param("\n".join(block("repo-big", 40)), 200, id="block-bigger-than-a-message"),
        pytest.param(realistic_report(100_000), SLACK_TEXT_LIMIT - 1_000, id="realistic-100k"),
    ],
)
def test_no_message_is_over_the_limit_even_with_its_number(text, limit):
    messages = number_messages(split_message(text, limit))
    assert len(messages) > 1
    assert max(len(message) for message in messages) <= limit


def test_short_text_is_one_message():
    assert split_message("repository name : repo-1\n\t- function name : fn-1") == [
        "repository name : repo-1\n\t- function name : fn-1"
    ]


# --- a repository stays with its functions --------------------------------------------------------


def test_repository_line_stays_with_its_function_lines_when_they_fit():
    # Blocks of 3 or 4 lines (~90-120 chars) with a budget of 200: a line-by-line packer would
    # start a message in the middle of a block; the splitter must move the whole block instead.
    blocks = [block(f"repo-{n:02d}", 2 + n % 2) for n in range(30)]
    text = "\n".join("\n".join(b) for b in blocks)
    limit = 200 + NUMBER_ROOM

    messages = split_message(text, limit)

    assert len(messages) > 5
    assert "\n".join(messages) == text
    for b in blocks:
        whole = "\n".join(b)
        holders = [m for m in messages if b[0] in m.split("\n")]
        assert len(holders) == 1, f"{b[0]!r} appears in {len(holders)} messages"
        assert whole in holders[0], f"{b[0]!r} was separated from its function lines"
    assert not any(m.startswith("\t") for m in messages), "a message starts with an orphan function line"


def test_block_too_big_for_one_message_is_split_on_line_boundaries():
    big = block("repo-huge", 30)  # ~800 chars, budget 200
    text = "\n".join(block("repo-before", 1) + big + block("repo-after", 1))
    limit = 200 + NUMBER_ROOM

    messages = split_message(text, limit)

    assert "\n".join(messages) == text
    assert all(len(m) <= limit for m in messages)
    # no line was cut: every line of the text is a whole line of some message
    message_lines = [line for m in messages for line in m.split("\n")]
    assert message_lines == text.split("\n")


# --- a single over-long line ----------------------------------------------------------------------


@pytest.mark.parametrize("length", [201, 400, 1_000], ids=["just-over", "twice", "five-times"])
def test_over_long_line_is_cut_and_nothing_is_lost(length):
    budget = 200
    long_line = "".join(chr(ord("a") + n % 26) for n in range(length))
    text = f"before\n{long_line}\nafter"

    messages = split_message(text, budget + NUMBER_ROOM)

    assert all(len(m) <= budget + NUMBER_ROOM for m in messages)
    assert len(messages) >= 2
    # The cut points become message boundaries; the characters of the line are all there, in order.
    assert "".join(messages).replace("\n", "") == text.replace("\n", "")
    assert messages[0].split("\n")[0] == "before"
    assert messages[-1].split("\n")[-1] == "after"
    # Only the over-long line is cut: every other line is whole.
    for m in messages:
        for line in m.split("\n"):
            assert line in ("before", "after") or line in long_line


def test_over_long_line_at_default_limit():
    long_line = "0123456789" * 10_000  # 100,000 characters on one line
    messages = number_messages(split_message(long_line))
    assert len(messages) == 3
    assert all(len(m) <= SLACK_TEXT_LIMIT for m in messages)
    bodies = [m.split(" ", 1)[1] for m in messages]
    assert "".join(bodies) == long_line


# --- numbering ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "messages, expected",
    [
        pytest.param(["only"], ["only"], id="one-message-no-prefix"),
        pytest.param(["a", "b"], ["(1/2) a", "(2/2) b"], id="two-messages"),
        pytest.param(["a", "b", "c"], ["(1/3) a", "(2/3) b", "(3/3) c"], id="three-messages"),
        pytest.param(
            [str(n) for n in range(12)],
            [f"({n + 1}/12) {n}" for n in range(12)],
            id="twelve-messages-two-digit-numbers",
        ),
    ],
)
def test_number_messages_prefixes_only_when_more_than_one(messages, expected):
    assert number_messages(messages) == expected


# --- escaping -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("a & b", "a &amp; b", id="ampersand"),
        pytest.param("<tag>", "&lt;tag&gt;", id="angle-brackets"),
        pytest.param("if a < b && c > d", "if a &lt; b &amp;&amp; c &gt; d", id="mixed"),
        pytest.param("&lt;", "&amp;lt;", id="existing-entity-escaped-again"),
        pytest.param("<!channel> <@U123>", "&lt;!channel&gt; &lt;@U123&gt;", id="no-mentions-from-report"),
        pytest.param("repo-1 : 사용 현황 :large_green_circle:", "repo-1 : 사용 현황 :large_green_circle:", id="plain-unchanged"),
    ],
)
def test_escape_for_slack(text, expected):
    assert escape_for_slack(text) == expected


# --- a realistic 100,000-character report ---------------------------------------------------------


def test_realistic_100k_report_fits_in_numbered_messages_under_slack_limit():
    report = realistic_report(100_000)
    assert len(report) >= 100_000

    messages = number_messages(split_message(escape_for_slack(report)))

    total = len(messages)
    assert total >= 3
    assert all(len(m) <= SLACK_TEXT_LIMIT for m in messages)
    for index, message in enumerate(messages, start=1):
        assert message.startswith(f"({index}/{total}) repository name : ")  # a block starts each one
    bodies = [m[len(f"({i}/{total}) "):] for i, m in enumerate(messages, start=1)]
    assert "\n".join(bodies) == escape_for_slack(report)

"""What several test modules share: the handler as tests run it, a realistic report's text, and the
consumer tests' account in Ohio."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from devtools.fake_slack import BOT_TOKEN, CHANNEL
from devtools.simulated_account import ImageSpec
from ecr_usage_report.deliver.slack import Delivery
from ecr_usage_report.handler import handle
from ecr_usage_report.run import RunResult, run, utc_now

# Handler-level tests post to the local webhook without the pauses a real channel needs.
FAST_DELIVERY = Delivery(backoff=0.0, jitter=0.0, interval=0.0)
OHIO = "us-east-2"
GB = 10**9


def handler(event: Any, context: Any = None, delivery: Delivery = FAST_DELIVERY,
            clock: Callable[[], datetime] = utc_now) -> dict[str, Any]:
    """The Lambda handler's own code path (lambda_handler calls it), with the test's delivery and clock."""
    return handle(event, context, delivery=delivery, clock=clock)


def post_as_bot(monkeypatch: Any, slack: Any, token: str = BOT_TOKEN) -> None:
    """Post as a bot to the fake Slack's channel (SLACK_DDPS, when set, stays: failure notices use it)."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    monkeypatch.setenv("SLACK_CHANNEL", CHANNEL)
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)


def fixed_clock(epoch_seconds: float) -> Callable[[], datetime]:
    """A clock that always says this instant."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return lambda: moment


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
            for fn in range(repo % 4)  # 0 to 3 functions per repository
        ]
        lines += block
        size += sum(len(line) + 1 for line in block)
        repo += 1
    return "\n".join(lines)


def calls(layer: Any, operation: str, region: str | None = None) -> int:
    """Calls of an operation the simulated AWS received, in one region or in all of them."""
    return sum(count for (name, where), count in layer.calls.items() if name == operation and region in (None, where))


def old_repositories(*names: str) -> dict[str, list[ImageSpec]]:
    """Repositories of one 1 GB image pushed 400 days ago: deletion candidates unless something runs them."""
    return {name: [ImageSpec(["v1"], GB, 400)] for name in names}


def dry_run(event: dict | None = None) -> RunResult:
    """A dry run over Ohio, the event's keys added."""
    return run({"dry_run": True, "regions": [OHIO], **(event or {})})


def candidates(result: RunResult) -> list[str]:
    """The names of the repositories a run names deletion candidates, sorted."""
    return sorted(candidate.repository.name for candidate in result.findings.candidates)

"""A run's failures: logged, and posted to Slack through each way in turn, in the invocation's time left."""
from __future__ import annotations

import logging
from typing import Callable

from ecr_usage_report.deliver.slack import Delivery, SlackPoster
from ecr_usage_report.deliver.slack_settings import SlackTarget, poster, ways
from ecr_usage_report.inventory.model import ReadError
from ecr_usage_report.redaction import scrub
from ecr_usage_report.report.details import errors_section

logger = logging.getLogger("ecr_usage_report")
# Seconds kept at the end of an invocation past a notice's last try, for the function to end.
LAST_NOTICE_RESERVE_S = 1.0


class ReportError(RuntimeError):
    """The run failed; the message says at which stage and why (it was posted to Slack too, unless not asked)."""

    def __init__(self, text: str, cause: BaseException | None = None) -> None:
        super().__init__(text)
        self.cause = cause  # what failed, for a command line that names it alone


class NothingRead(RuntimeError):
    """Every region failed: a report of nothing is no report."""

    def __init__(self, errors: tuple[ReadError, ...]) -> None:
        first = f"; the first: {errors[0].where}: {errors[0].message}" if errors else ""
        super().__init__(f"nothing could be read in any region ({len(errors)} errors{first})")
        self.errors = errors


class Notices:
    """The run's way to Slack, and its failure notices (none on a dry run), in the time left."""

    def __init__(self, time_left: Callable[[], float] | None, delivery: Delivery, post_failures: bool = True,
                 log_failures: bool = True) -> None:
        self.slack: SlackTarget | None = None
        self.time_left, self.delivery = time_left, delivery
        self.post_failures, self.log_failures = post_failures, log_failures

    def left(self, reserve_s: float) -> float | None:
        """Seconds until `reserve_s` before the invocation's time runs out (None: no limit)."""
        return None if self.time_left is None else self.time_left() - reserve_s

    def poster(self, reserve_s: float) -> SlackPoster:
        """The webhook or the bot, whose retries stop `reserve_s` before the invocation's time runs out."""
        return poster(self.slack, self.delivery, self.left(reserve_s))

    def failure(self, stage: str, exc: BaseException) -> ReportError:
        """Log a failure, post it through each way to Slack in turn (the bot, then the webhook) until
        one takes it, saying which failed, and return the error to raise."""
        text = scrub(f"ECR usage report failed while {stage}: {type(exc).__name__}: {exc}")
        if self.log_failures:
            logger.error(text)
            if isinstance(exc, NothingRead):
                logger.error("What could not be read:\n%s", "\n".join(errors_section(exc.errors)))
        failed: list[str] = []
        for way, target in ways(self.slack) if self.post_failures else []:
            notice = "\n".join([text, *failed])
            try:
                poster(target, self.delivery, self.left(LAST_NOTICE_RESERVE_S)).send_error(notice)
                break
            except Exception as slack_exc:  # the way to Slack may be what failed: the next way says so
                failed.append(f"(Posting this through {way} failed: {scrub(str(slack_exc))})")
                logger.error("The failure could not be posted to Slack through %s either: %s", way, slack_exc)
        return ReportError(text, exc)

"""The Lambda handler: a whole report, or one step of the scale-out, as the event says."""
from __future__ import annotations

import gc
import json
import logging
from datetime import datetime
from functools import cache
from typing import Any, Callable

from ecr_usage_report.deliver.slack import DEFAULT_DELIVERY, Delivery
from ecr_usage_report.run import run, utc_now
from ecr_usage_report.scale_out import run_step
from ecr_usage_report.steps import ACCOUNT, ACCOUNTS, REPORT, step_of

logger = logging.getLogger("ecr_usage_report")
# Errors the report step returns: Step Functions carries at most 256 KB out of a state (the report has them all).
STEP_ERRORS_RETURNED = 50
YOUNG_COLLECTION_EVERY = 10_000  # allocations between the cyclic collector's young collections (Python's: 700)


@cache
def settle_collector() -> None:
    """Once a process: what the imports built is left out of the cyclic collector's full passes, and young
    passes come less often, as a run parses thousands of answers whose dicts the collector would walk again."""
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])


def handle(event: Any, context: Any, delivery: Delivery = DEFAULT_DELIVERY,
           clock: Callable[[], datetime] = utc_now) -> dict[str, Any]:
    """Run, print the report on a dry run, log and return the summary; or run the step asked for."""
    settle_collector()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    time_left = (lambda: remaining() / 1000) if callable(remaining) else None
    if step_of(event) in (ACCOUNTS, ACCOUNT):
        return run_step(event, time_left=time_left, delivery=delivery, clock=clock)
    result = run(event, time_left=time_left, delivery=delivery, clock=clock)
    if result.settings.dry_run:
        print(f"{result.message[0]}\n\n{result.report}")
    logger.info("ECR usage report done: %s", json.dumps(result.summary, ensure_ascii=False))
    return step_answer(result.summary) if step_of(event) == REPORT else result.summary


def step_answer(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary as the report step answers Step Functions: its first errors, and how many more."""
    errors = summary["errors"]
    if len(errors) <= STEP_ERRORS_RETURNED:
        return summary
    more = f"and {len(errors) - STEP_ERRORS_RETURNED} more, listed in the report"
    return {**summary, "errors": [*errors[:STEP_ERRORS_RETURNED], more]}

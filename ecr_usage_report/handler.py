"""The Lambda handler: a whole report, or one step of the scale-out, as the event says."""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Callable

from ecr_usage_report.deliver.slack import DEFAULT_DELIVERY, Delivery
from ecr_usage_report.run import run, utc_now
from ecr_usage_report.scale_out import run_step
from ecr_usage_report.steps import ACCOUNT, ACCOUNTS, step_of

logger = logging.getLogger("ecr_usage_report")


def handle(event: Any, context: Any, delivery: Delivery = DEFAULT_DELIVERY,
           clock: Callable[[], datetime] = utc_now) -> dict[str, Any]:
    """Run, print the report on a dry run, log and return the summary; or run the step asked for."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    time_left = (lambda: remaining() / 1000) if callable(remaining) else None
    if step_of(event) in (ACCOUNTS, ACCOUNT):
        return run_step(event, time_left=time_left, delivery=delivery, clock=clock)
    result = run(event, time_left=time_left, delivery=delivery, clock=clock)
    if result.settings.dry_run:
        print(f"{result.message[0]}\n\n{result.report}")
    logger.info("ECR usage report done: %s", json.dumps(result.summary, ensure_ascii=False))
    return result.summary

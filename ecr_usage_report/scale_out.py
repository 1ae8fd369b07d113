"""The scale-out's first two steps (statemachine/report.asl.json): list the accounts, then read one
account and keep its inventory in S3. The last step, the report on them all, is run() itself."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any, Callable

import boto3

from ecr_usage_report import config
from ecr_usage_report.aws.accounts import own_account
from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.scheduler import AccountLanes, region_scheduler
from ecr_usage_report.deliver.slack import DEFAULT_DELIVERY, Delivery
from ecr_usage_report.inventory.accounts import account_error, accounts_to_read, open_account
from ecr_usage_report.inventory.collect import start_account
from ecr_usage_report.inventory.parts import save_part
from ecr_usage_report.notices import Notices
from ecr_usage_report.run import collection_deadline, prepare, utc_now
from ecr_usage_report.steps import ACCOUNTS, Part

logger = logging.getLogger("ecr_usage_report")
RUN_STAMP = "%Y%m%dT%H%M%SZ"  # steps.RUN_PATTERN


def run_step(event: Any, session: boto3.Session | None = None, time_left: Callable[[], float] | None = None,
             delivery: Delivery = DEFAULT_DELIVERY, clock: Callable[[], datetime] = utc_now) -> dict[str, Any]:
    """The accounts step or an account's step, as its event says. Listing the accounts may fail (the
    failure is posted to Slack, and the state machine stops); reading an account never does: what
    went wrong is returned, and the report names it."""
    notices = Notices(time_left, delivery)
    settings, clients = prepare(event, session, notices)
    if settings.step.name == ACCOUNTS:
        try:
            return accounts_step(clients, settings, clock())
        except Exception as exc:
            raise notices.failure("listing the accounts to read", exc) from exc
    return account_step(clients, settings, time_left).record()


def accounts_step(clients: ClientFactory, settings: config.Settings, now: datetime) -> dict[str, Any]:
    """A new run's id, and each account to read (its id, name and organization), for the Map state."""
    listed, organization = accounts_to_read(clients, settings.accounts)
    return {"run": now.strftime(RUN_STAMP),
            "accounts": [{"id": account, "name": name, "organization": organization} for account, name in listed]}


def account_step(clients: ClientFactory, settings: config.Settings, time_left: Callable[[], float] | None) -> Part:
    """Read one account as a report of one account reads it and keep its inventory in S3: its key, or why not."""
    step = settings.step
    part = step.account
    try:
        with region_scheduler(settings.workers, collection_deadline(time_left)) as scheduler:
            opened = open_account(clients, part.account, own_account(clients), settings.accounts.role)
            inventory = start_account(opened, AccountLanes(scheduler, part.account), settings.regions,
                                      settings.consumers, part.account)()
        return replace(part, key=save_part(clients, settings.report_s3, step.run, part.account, inventory))
    except Exception as exc:  # noqa: BLE001 (the report names the account; the other accounts' steps go on)
        logger.error("Account %s was not read: %s", part.account, exc)
        return replace(part, error=account_error(exc, settings.accounts.role))

"""Each account's inventory between the scale-out's steps: written to S3 by the step that read it, read
back by the step that reports on them all, under REPORT_S3_URI's prefix, runs/<run>/<account>.json."""
from __future__ import annotations

import json
from concurrent.futures import Future

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.errors import AWS_ERRORS, error_message
from ecr_usage_report.aws.regions import FALLBACK_REGION
from ecr_usage_report.aws.scheduler import RegionScheduler, TimeRanOut
from ecr_usage_report.inventory.accounts import ACCOUNT_LABEL, merged
from ecr_usage_report.inventory.codec import CodecError, inventory_document, inventory_of
from ecr_usage_report.inventory.model import AccountRead, Inventory, ReadError
from ecr_usage_report.steps import Step

RUNS = "runs/"


def part_key(prefix: str, run: str, account: str = "") -> str:
    """Where an account's inventory of a run is kept (without `account`: every account's of the run)."""
    return f"{prefix}{RUNS}{run}/" + (f"{account}.json" if account else "")


def save_part(clients: ClientFactory, target: tuple[str, str], run: str, account: str, inventory: Inventory) -> str:
    """Write one account's inventory; returns its key."""
    bucket, prefix = target
    key = part_key(prefix, run, account)
    s3 = clients.get("s3", clients.session.region_name or FALLBACK_REGION)
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(inventory_document(inventory)).encode(),
                  ContentType="application/json")
    return key


def load_part(clients: ClientFactory, bucket: str, key: str) -> Inventory:
    s3 = clients.get("s3", clients.session.region_name or FALLBACK_REGION)
    return inventory_of(json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))


def read_parts(clients: ClientFactory, scheduler: RegionScheduler, target: tuple[str, str], step: Step,
               kinds: tuple[str, ...]) -> Inventory:
    """Every account's inventory of the run, side by side, put together as collect_accounts puts them;
    an account whose step failed, or whose inventory cannot be read, is named in the errors."""
    bucket, prefix = target
    region = clients.session.region_name or FALLBACK_REGION
    failed: list[ReadError] = []
    loading: dict[str, Future[Inventory]] = {}
    for part in step.parts:
        if part.key is None:
            failed.append(ReadError(part.account, ACCOUNT_LABEL, "", part.error or "not read"))
        elif not part.key.startswith(part_key(prefix, step.run)):
            failed.append(ReadError(part.account, ACCOUNT_LABEL, "", f"its inventory {part.key!r} is not this run's"))
        else:
            loading[part.account] = scheduler.submit("s3", region, load_part, clients, bucket, part.key)
    read = []
    for account, future in loading.items():
        try:
            read.append((account, future.result()))
        except (*AWS_ERRORS, CodecError, ValueError, TimeRanOut) as exc:
            failed.append(ReadError(account, ACCOUNT_LABEL, "", f"its inventory s3://{bucket}/"
                                    f"{part_key(prefix, step.run, account)} could not be read: {error_message(exc)}"))
    found = {account for account, _ in read}
    accounts = tuple(AccountRead(part.account, part.name, part.account in found) for part in step.parts)
    organization = next((part.organization for part in step.parts if part.organization), None)
    return merged(read, failed, accounts, organization, kinds)

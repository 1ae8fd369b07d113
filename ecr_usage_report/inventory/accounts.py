"""A report of several accounts: each read side by side, as one account's whole inventory, under its own
credentials and lanes, then put together as one inventory keyed by place (inventory/places.py)."""
from __future__ import annotations

from collections import deque
from concurrent.futures import Future, as_completed
from dataclasses import replace

from ecr_usage_report.aws.accounts import ORGANIZATION, AccountSettings, assumed_factory, organization_accounts, own_account
from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.errors import AWS_ERRORS, error_message
from ecr_usage_report.aws.regions import FALLBACK_REGION
from ecr_usage_report.aws.scheduler import AccountLanes, RegionScheduler, TimeRanOut
from ecr_usage_report.inventory import consumers
from ecr_usage_report.inventory.collect import Finish, start_account
from ecr_usage_report.inventory.kinds import ConsumerSettings
from ecr_usage_report.inventory.model import AccountRead, Consumer, Inventory, ReadError
from ecr_usage_report.inventory.places import place

ACCOUNT_LABEL = "Account"  # how ERRORS names an account that could not be read at all
# Accounts read at once: each holds its clients (one per service and region) until it is read, and
# one account's reads already fill the run's calls in flight.
ACCOUNTS_AT_ONCE = 3
ROLE_FIX = "deploy the reader role {role} in it (see docs/organization.md)"


class OrganizationUnread(RuntimeError):
    """ACCOUNTS is organization, and the organization's accounts could not be listed: the message says what to do."""


def collect_accounts(clients: ClientFactory, scheduler: RegionScheduler, asked: list[str] | None,
                     accounts: AccountSettings, consumer_settings: ConsumerSettings | None = None) -> Inventory:
    """Every account ACCOUNTS names (this one with the run's own credentials, the others through their
    reader role), each read as collect_account reads one, side by side; an account that cannot be
    opened is named in the errors and the rest goes on.

    Raises:
        ClientError: this account's identity could not be read.
        OrganizationUnread: the organization's accounts could not be listed.
    """
    own = own_account(clients)
    listed, organization = accounts_to_read(clients, accounts)
    opening: dict[Future[ClientFactory], tuple[str, str]] = {
        scheduler.submit("sts", FALLBACK_REGION, open_account, clients, account, own, accounts.role): (account, name)
        for account, name in listed}
    reading: deque[tuple[str, Finish]] = deque()
    found: dict[str, Inventory] = {}
    failed: list[ReadError] = []
    for future in as_completed(list(opening)):  # an account's reads start as soon as it is opened and there is room
        account, _ = opening.pop(future)  # its clients live only while it is read
        if scheduler.expired:
            failed.append(ReadError(account, ACCOUNT_LABEL, "", "not read: the invocation's time ran out before its turn"))
            continue
        try:
            reading.append((account, start_account(future.result(), AccountLanes(scheduler, account), asked,
                                                   consumer_settings, account)))
        except AWS_ERRORS + (TimeRanOut,) as exc:
            failed.append(ReadError(account, ACCOUNT_LABEL, "", account_error(exc, accounts.role)))
        while len(reading) >= ACCOUNTS_AT_ONCE:
            done, finish = reading.popleft()
            found[done] = finish()
    while reading:
        done, finish = reading.popleft()
        found[done] = finish()
    read = [(account, found[account]) for account, _ in listed if account in found]
    return merged(read, failed, tuple(AccountRead(account, name, account in found) for account, name in listed),
                  organization, (consumer_settings or ConsumerSettings()).read_kinds)


def accounts_to_read(clients: ClientFactory, accounts: AccountSettings) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """The accounts ACCOUNTS names, as (id, name), and their organization's id where it is read."""
    if accounts.scope != ORGANIZATION:
        return tuple((account, "") for account in accounts.listed), None
    try:
        return organization_accounts(clients)
    except AWS_ERRORS as exc:
        raise OrganizationUnread(f"Organizations ListAccounts failed ({error_message(exc)}): run the report in the"
                                 " organization's management account or a delegated administrator, or set ACCOUNTS"
                                 " to account ids") from exc


def open_account(clients: ClientFactory, account: str, own: str, role: str) -> ClientFactory:
    """This account's clients, or another's through its reader role."""
    return clients if account == own else assumed_factory(clients, account, role, own)


def account_error(exc: BaseException, role: str) -> str:
    """Why an account could not be read, and what fixes it."""
    if isinstance(exc, TimeRanOut):
        return str(exc)
    if getattr(exc, "operation_name", "") == "AssumeRole":
        return f"{error_message(exc)}: {ROLE_FIX.format(role=role)}"
    return f"{error_message(exc)}: the account was not read"


def merged(read: list[tuple[str, Inventory]], failed: list[ReadError], accounts: tuple[AccountRead, ...],
           organization: str | None, kinds: tuple[str, ...]) -> Inventory:
    """One inventory of every account read, each region-keyed part keyed by place."""
    placed = [at_places(account, inventory) for account, inventory in read]
    consumer_regions = [inventory.consumer_regions for inventory in placed]
    return Inventory(
        regions=tuple(where for inventory in placed for where in inventory.regions),
        ecr={where: data for inventory in placed for where, data in inventory.ecr.items()},
        functions={where: listed for inventory in placed for where, listed in inventory.functions.items()},
        last_runs={key: last for inventory in placed for key, last in inventory.last_runs.items()},
        errors=tuple(sorted([*failed, *(error for inventory in placed for error in inventory.errors)])),
        consumers={where: found for inventory in placed for where, found in inventory.consumers.items()},
        consumer_kinds=kinds,
        consumer_labels=consumers.LABELS,
        consumer_regions=None if None in consumer_regions else tuple(w for each in consumer_regions for w in each or ()),
        accounts=accounts,
        organization=organization,
    )


def at_places(account: str, inventory: Inventory) -> Inventory:
    """One account's inventory with every region replaced by its place."""
    def moved(consumer: Consumer) -> Consumer:
        return replace(consumer, region=place(account, consumer.region))

    return replace(
        inventory,
        regions=tuple(place(account, region) for region in inventory.regions),
        ecr={place(account, region): data for region, data in inventory.ecr.items()},
        functions={place(account, region): listed for region, listed in inventory.functions.items()},
        last_runs={(place(account, region), group): last for (region, group), last in inventory.last_runs.items()},
        errors=tuple(replace(error, region=place(account, error.region)) for error in inventory.errors),
        consumers={place(account, region): tuple(map(moved, found)) for region, found in inventory.consumers.items()},
        consumer_regions=(None if inventory.consumer_regions is None
                          else tuple(place(account, region) for region in inventory.consumer_regions)),
    )


"""Which accounts a run reads, and a client factory for each: this account's own, the others' through
STS AssumeRole of the reader role (docs/organization.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.regions import FALLBACK_REGION
from ecr_usage_report.redaction import register_secret

THIS, ORGANIZATION, LISTED = "this account", "organization", "listed"
DEFAULT_ROLE = "ecr-usage-report-reader"
ROLE_NAME_PATTERN = re.compile(r"[\w+=,.@-]{1,64}")  # IAM's role name characters and length
ACCOUNT_ID_PATTERN = re.compile(r"\d{12}")
ACTIVE = "ACTIVE"
SESSION_NAME = "ecr-usage-report-from-{account}"  # who reads, as CloudTrail shows it in the read account
ORGANIZATION_ARN_RE = re.compile(r"^arn:[^:]+:organizations::\d{12}:account/(o-[a-z0-9]+)/\d{12}$")


@dataclass(frozen=True)
class AccountSettings:
    """ACCOUNTS and ACCOUNT_ROLE: which accounts one report reads, and the role assumed in the others."""

    scope: str = THIS  # THIS, ORGANIZATION or LISTED
    listed: tuple[str, ...] = ()  # for LISTED: the account ids, in the order given
    role: str = DEFAULT_ROLE

    @property
    def several(self) -> bool:
        """Whether the report reads accounts besides (or other than) this one, each named in the report."""
        return self.scope != THIS


def own_account(clients: ClientFactory) -> str:
    """The id of the account whose credentials the run has (STS GetCallerIdentity needs no permission)."""
    return sts(clients).get_caller_identity()["Account"]


def sts(clients: ClientFactory) -> Any:
    """STS at the run's regional endpoint."""
    return clients.get("sts", clients.session.region_name or FALLBACK_REGION)


def organization_accounts(clients: ClientFactory) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """Every ACTIVE account of the organization as (id, name) (ListAccounts, every page; `State`, as
    `Status` is retired), by id, and the organization's id as the accounts' ARNs name it."""
    organizations = clients.get("organizations", FALLBACK_REGION)  # a global service, served from us-east-1
    accounts, organization = [], None
    for page in organizations.get_paginator("list_accounts").paginate():
        for listed in page.get("Accounts", []):
            organization = organization or organization_of(listed.get("Arn", ""))
            if listed.get("State") == ACTIVE:
                accounts.append((listed["Id"], listed.get("Name", "")))
    return tuple(sorted(accounts, key=lambda account: account[0])), organization


def organization_of(account_arn: str) -> str | None:
    """The organization id in an account's ARN: arn:aws:organizations::<management>:account/o-xxxx/<id>."""
    match = ORGANIZATION_ARN_RE.match(account_arn)
    return match[1] if match else None


def assumed_factory(clients: ClientFactory, account: str, role: str, reader: str) -> ClientFactory:
    """Clients for another account, with the credentials of its reader role (AssumeRole at the
    run's regional STS endpoint); they last an hour, past the longest invocation."""
    region = clients.session.region_name or FALLBACK_REGION
    partition = clients.session.get_partition_for_region(region)
    answer = sts(clients).assume_role(RoleArn=f"arn:{partition}:iam::{account}:role/{role}",
                                      RoleSessionName=SESSION_NAME.format(account=reader))
    credentials = answer["Credentials"]
    for secret in (credentials["SecretAccessKey"], credentials["SessionToken"]):
        register_secret(secret)
    return clients.with_credentials((credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                     credentials["SessionToken"]))

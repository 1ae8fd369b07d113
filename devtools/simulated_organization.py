"""A simulated AWS Organization: member accounts created through Organizations, each with the report's
reader role (or, to show an account the report cannot read, without it), seeded through its own
credentials as any account is."""
from __future__ import annotations

import json
from typing import Any

import boto3

from devtools.fake_kubernetes import FakeKubernetes
from devtools.simulated_account import ACCOUNT, RegionSpec, Seeder

READER_ROLE = "ecr-usage-report-reader"
ACCESS_ROLE = "OrganizationAccountAccessRole"  # what Organizations creates in every account it creates
MANAGEMENT = ACCOUNT  # the simulated account the report runs in manages the organization


def client(endpoint_url: str, service: str, credentials: tuple[str, str, str | None] = ("testing", "testing", None),
           region: str = "us-east-1") -> Any:
    key, secret, token = credentials
    return boto3.client(service, region_name=region, endpoint_url=endpoint_url, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token)


def create_accounts(endpoint_url: str, names: list[str]) -> dict[str, str]:
    """An organization managed by this account and a member account for each name: name -> account id."""
    organizations = client(endpoint_url, "organizations")
    organizations.create_organization(FeatureSet="ALL")
    return {name: organizations.create_account(AccountName=name, Email=f"{name}@example.com")
            ["CreateAccountStatus"]["AccountId"] for name in names}


def credentials_of(endpoint_url: str, account: str, role: str = ACCESS_ROLE) -> tuple[str, str, str]:
    """The account's credentials through a role in it, as an administrator gets them."""
    found = client(endpoint_url, "sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}",
                                                    RoleSessionName="simulated-admin")["Credentials"]
    return found["AccessKeyId"], found["SecretAccessKey"], found["SessionToken"]


def add_reader_role(endpoint_url: str, account: str, trusted: str = MANAGEMENT) -> None:
    """The report's reader role in the account, trusting the account the report runs in."""
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"AWS": f"arn:aws:iam::{trusted}:root"}}]}
    client(endpoint_url, "iam", credentials_of(endpoint_url, account)).create_role(
        RoleName=READER_ROLE, AssumeRolePolicyDocument=json.dumps(trust))


def seed_account(endpoint_url: str, layer: Any, account: str, regions: list[RegionSpec],
                 kubernetes: FakeKubernetes | None = None, reader_role: bool = True) -> Seeder:
    """Seed one member account's regions with its own credentials, and give it the reader role."""
    if reader_role:
        add_reader_role(endpoint_url, account)
    seeder = Seeder(endpoint_url, layer, kubernetes=kubernetes, credentials=credentials_of(endpoint_url, account),
                    account=account)
    seeder.seed(regions)
    return seeder

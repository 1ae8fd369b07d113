"""Which regions to scan: the account's enabled regions, or a validated list."""
from __future__ import annotations

from typing import Iterable

import boto3

from aws_clients import ClientFactory

SCANNED_SERVICES = ("ecr", "lambda", "logs")
FALLBACK_REGION = "us-east-1"


class RegionError(ValueError):
    """A region name that no AWS partition knows."""


def known_regions(session: boto3.Session) -> set[str]:
    """Every region botocore knows for the scanned services, in every partition."""
    names: set[str] = set()
    for partition in session.get_available_partitions():
        for service in SCANNED_SERVICES:
            names.update(session.get_available_regions(service, partition_name=partition))
    return names


def validate_regions(session: boto3.Session, names: Iterable[str]) -> list[str]:
    """Strip, de-duplicate and check region names before any AWS call."""
    wanted = [name.strip() for name in names if name and name.strip()]
    if not wanted:
        raise RegionError("No region given: name at least one, e.g. ap-northeast-2")
    known = known_regions(session)
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise RegionError(
            f"Unknown region(s): {', '.join(unknown)}. Use names like ap-northeast-2 or us-east-1."
        )
    return list(dict.fromkeys(wanted))


def enabled_regions(clients: ClientFactory) -> list[str]:
    """Regions enabled for this account (opt-in regions only when opted in)."""
    home = clients.session.region_name or FALLBACK_REGION
    ec2 = clients.get("ec2", home)
    answer = ec2.describe_regions(AllRegions=False)
    return sorted(region["RegionName"] for region in answer.get("Regions", []))

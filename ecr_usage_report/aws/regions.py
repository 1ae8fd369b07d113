"""Which regions to scan: the account's enabled regions, or names checked against botocore's endpoints."""
from __future__ import annotations

from functools import cache
from typing import Iterable

import botocore.session

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.redaction import clipped

SCANNED_SERVICES = ("ecr", "lambda", "logs")
FALLBACK_REGION = "us-east-1"


class RegionError(ValueError):
    """A region name that no AWS partition knows."""


@cache
def known_regions() -> frozenset[str]:
    """Every region botocore's endpoint data knows for the scanned services, in every partition."""
    session = botocore.session.get_session()
    return frozenset(
        name
        for partition in session.get_available_partitions()
        for service in SCANNED_SERVICES
        for name in session.get_available_regions(service, partition_name=partition)
    )


def validate_regions(names: Iterable[str]) -> list[str]:
    """Strip, de-duplicate and check region names; no AWS call."""
    wanted = [name.strip() for name in names if name and name.strip()]
    if not wanted:
        raise RegionError("No region given: name at least one, e.g. ap-northeast-2")
    unknown = [name for name in wanted if name not in known_regions()]
    if unknown:
        shown = ", ".join(clipped(name, 40) for name in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        lowered = [name.lower() for name in unknown if name.lower() in known_regions()]
        hint = (f" Region names are lower case: did you mean {clipped(', '.join(dict.fromkeys(lowered)), 80)}?"
                if lowered else "")
        raise RegionError(f"Unknown region(s): {shown}{more}. Use names like ap-northeast-2 or us-east-1.{hint}")
    return list(dict.fromkeys(wanted))


def enabled_regions(clients: ClientFactory) -> list[str]:
    """Regions enabled for this account (opt-in regions only when opted in)."""
    ec2 = clients.get("ec2", clients.session.region_name or FALLBACK_REGION)
    answer = ec2.describe_regions(AllRegions=False)
    return sorted(region["RegionName"] for region in answer.get("Regions", []))


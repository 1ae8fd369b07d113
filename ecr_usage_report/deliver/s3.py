"""The JSON export in S3: this run's written, the previous run's read back to compare with."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.regions import FALLBACK_REGION
from ecr_usage_report.report.export import to_json

EXPORT_NAME = "ecr-usage-report-"


def export_key(prefix: str, document: dict[str, Any]) -> str:
    """prefix + ecr-usage-report-<UTC time of the run, to the microsecond>.json: safe in a file name,
    and sorted by name, sorted by time."""
    stamp = datetime.fromisoformat(document["generated_at"]).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{prefix}{EXPORT_NAME}{stamp}.json"


def save_export(clients: ClientFactory, target: tuple[str, str], document: dict[str, Any]) -> str:
    """Write the export to s3://bucket/prefix<...>.json; returns its URI."""
    bucket, prefix = target
    key = export_key(prefix, document)
    s3 = clients.get("s3", clients.session.region_name or FALLBACK_REGION)
    s3.put_object(Bucket=bucket, Key=key, Body=to_json(document).encode(), ContentType="application/json")
    return f"s3://{bucket}/{key}"


def previous_export(clients: ClientFactory, target: tuple[str, str], before: str) -> tuple[str, Any] | None:
    """The key and JSON value of the newest export under the prefix older than the key `before`, or None
    when there is none (every ListObjectsV2 page read; raises AWS errors, and ValueError for an export
    that is not JSON). The value may be anything JSON holds: analysis.comparison checks it."""
    bucket, prefix = target
    s3 = clients.get("s3", clients.session.region_name or FALLBACK_REGION)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}{EXPORT_NAME}")
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])
            if item["Key"].endswith(".json") and item["Key"] < before]
    if not keys:
        return None
    return max(keys), json.loads(s3.get_object(Bucket=bucket, Key=max(keys))["Body"].read())

"""Write the JSON export to S3."""
from __future__ import annotations

from typing import Any

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.regions import FALLBACK_REGION
from ecr_usage_report.report.export import to_json


def export_key(prefix: str, document: dict[str, Any]) -> str:
    """prefix + ecr-usage-report-<UTC time of the run>.json, safe in a file name."""
    stamp = document["generated_at"][:19].replace(":", "").replace("-", "") + "Z"
    return f"{prefix}ecr-usage-report-{stamp}.json"


def save_export(clients: ClientFactory, target: tuple[str, str], document: dict[str, Any]) -> str:
    """Write the export to s3://bucket/prefix<...>.json; returns its URI."""
    bucket, prefix = target
    key = export_key(prefix, document)
    s3 = clients.get("s3", clients.session.region_name or FALLBACK_REGION)
    s3.put_object(Bucket=bucket, Key=key, Body=to_json(document).encode(), ContentType="application/json")
    return f"s3://{bucket}/{key}"

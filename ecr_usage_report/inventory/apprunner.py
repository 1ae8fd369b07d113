"""App Runner reader: every service whose source is a container image, and that image."""
from __future__ import annotations

from typing import Any

from ecr_usage_report.aws.errors import AWS_ERRORS, error_code, error_message
from ecr_usage_report.inventory.model import Consumer, ReadError
from ecr_usage_report.inventory.reader import RegionReader, token_pages

SERVICE = "apprunner"
LABEL = "App Runner"
KIND = "apprunner service"
VANISHED = "ResourceNotFoundException"
GONE = "DELETED"


def list_services(client: Any) -> list[dict[str, Any]]:
    """Every service of the region (every page; without MaxResults App Runner answers them all at once)."""
    pages = token_pages(lambda **params: client.list_services(**params))
    return [summary for page in pages for summary in page.get("ServiceSummaryList", [])
            if summary.get("Status") != GONE]


def read_service(client: Any, region: str, summary: dict[str, Any]) -> tuple[Consumer | None, list[ReadError]]:
    """A service's image source; None for a source code service, or one deleted after it was listed."""
    name = summary["ServiceName"]
    try:
        service = client.describe_service(ServiceArn=summary["ServiceArn"]).get("Service", {})
    except AWS_ERRORS as exc:
        if error_code(exc) == VANISHED:
            return None, []
        return None, [ReadError(region, LABEL, name, error_message(exc))]
    image = ((service.get("SourceConfiguration") or {}).get("ImageRepository") or {}).get("ImageIdentifier")
    if not image:
        return None, []
    return Consumer(KIND, name, region, (image,), state=service.get("Status", "")), []


READER: RegionReader[dict[str, Any], Consumer] = RegionReader(
    service=SERVICE, label=LABEL, list_items=list_services, read_item=read_service)

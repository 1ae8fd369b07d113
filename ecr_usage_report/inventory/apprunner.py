"""The App Runner kind: every service whose source is a container image, and that image."""
from __future__ import annotations

from typing import Any

from ecr_usage_report.inventory.model import Consumer, ReadError
from ecr_usage_report.inventory.reader import ConsumerKind, token_pages

SERVICE = "apprunner"
LABEL = "App Runner"
CONSUMER = "apprunner service"
VANISHED = "ResourceNotFoundException"
GONE = "DELETED"


def list_services(client: Any) -> list[dict[str, Any]]:
    """Every service of the region (every page; without MaxResults App Runner answers them all at once)."""
    pages = token_pages(lambda **params: client.list_services(**params))
    return [summary for page in pages for summary in page.get("ServiceSummaryList", [])
            if summary.get("Status") != GONE]


def read_service(client: Any, region: str, summary: dict[str, Any]) -> tuple[Consumer | None, list[ReadError]]:
    """A service's image source; None for a source code service."""
    service = client.describe_service(ServiceArn=summary["ServiceArn"]).get("Service", {})
    image = ((service.get("SourceConfiguration") or {}).get("ImageRepository") or {}).get("ImageIdentifier")
    if not image:
        return None, []
    return Consumer(CONSUMER, summary["ServiceName"], region, (image,), state=service.get("Status", "")), []


KIND = ConsumerKind(
    word="apprunner", label=LABEL, service=SERVICE, list_items=list_services, read_item=read_service,
    item_name=lambda summary: summary["ServiceName"], gone=(VANISHED,),
    actions=("apprunner:ListServices", "apprunner:DescribeService"))

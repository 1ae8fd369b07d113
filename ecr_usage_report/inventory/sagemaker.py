"""The SageMaker kind: every model and the images of its containers, each with the endpoints serving it.

A model no endpoint serves still runs its images in any batch transform or endpoint made from it, so it
is a consumer either way; its state says which endpoints serve it (ListEndpoints, DescribeEndpoint,
DescribeEndpointConfig's production variants).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecr_usage_report.inventory.kinds import ConsumerSettings
from ecr_usage_report.inventory.model import Consumer, ReadError
from ecr_usage_report.inventory.reader import ConsumerKind, FollowUp

CONSUMER = "sagemaker model"
# SageMaker answers a Describe of a model or endpoint that no longer exists "ValidationException: Could not find ..."
VANISHED = "ValidationException"
Listed = tuple[str, dict[str, Any]]  # ("model" or "endpoint", its ListModels or ListEndpoints entry)


@dataclass(frozen=True)
class Model:
    """A model and the images of its containers."""

    name: str
    images: tuple[str, ...]


@dataclass(frozen=True)
class Endpoint:
    """An endpoint and the models its configuration's production variants serve."""

    name: str
    models: tuple[str, ...]


def list_models_and_endpoints(client: Any) -> list[Listed]:
    """Every model and every endpoint of the region (every page); no endpoint where there is no model, as
    an endpoint only tells which models are served."""
    models = [("model", model) for page in client.get_paginator("list_models").paginate()
              for model in page.get("Models", [])]
    if not models:
        return []
    return models + [("endpoint", endpoint) for page in client.get_paginator("list_endpoints").paginate()
                     for endpoint in page.get("Endpoints", [])]


def listed_name(listed: Listed) -> str:
    """How a failed read names a model or an endpoint."""
    what, summary = listed
    return summary["ModelName"] if what == "model" else f"endpoint {summary['EndpointName']}"


def read_listed(client: Any, region: str, listed: Listed) -> tuple[Model | Endpoint, list[ReadError]]:
    """A model's container images (DescribeModel), or the models an endpoint serves (its endpoint config's)."""
    what, summary = listed
    if what == "model":
        model = client.describe_model(ModelName=summary["ModelName"])
        containers = [model.get("PrimaryContainer") or {}, *(model.get("Containers") or [])]
        return Model(model["ModelName"], tuple(dict.fromkeys(c["Image"] for c in containers if c.get("Image")))), []
    endpoint = client.describe_endpoint(EndpointName=summary["EndpointName"])
    config = client.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    variants = config.get("ProductionVariants") or []
    return Endpoint(endpoint["EndpointName"], tuple(v["ModelName"] for v in variants if v.get("ModelName"))), []


def served_by(endpoints: list[str]) -> str:
    """A model consumer's state: the endpoints serving it, or that none does."""
    if not endpoints:
        return "no endpoint"
    return f"served by endpoint{'s' if len(endpoints) > 1 else ''} {', '.join(endpoints)}"


def model_consumers(region: str, values: list[Any], read: tuple[Any, ...],
                    settings: ConsumerSettings) -> list[Consumer]:
    """Each model with an image, and the endpoints of the region that serve it."""
    endpoints = [value for value in values if isinstance(value, Endpoint)]
    return [Consumer(CONSUMER, model.name, region, model.images,
                     state=served_by(sorted(e.name for e in endpoints if model.name in e.models)))
            for model in values if isinstance(model, Model) and model.images]


KIND = ConsumerKind(
    word="sagemaker", label="SageMaker", service="sagemaker", list_items=list_models_and_endpoints,
    read_item=read_listed, item_name=listed_name, gone=(VANISHED,),
    # no second read: the models and endpoints, once all are in, are joined into model consumers
    follow_up=FollowUp(reader=lambda values, settings: None, consumers=model_consumers),
    actions=("sagemaker:ListModels", "sagemaker:DescribeModel", "sagemaker:ListEndpoints",
             "sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig"))

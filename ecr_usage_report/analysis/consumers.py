"""Join every consumer (ECS, schedules, Batch, App Runner, EKS, Lambda rollback versions) to the
repositories and images it names, across all regions (pure).

A consumer names an image as a container runtime reads it: any of the private registry's host names
(`dkr.ecr`, FIPS, the dual-stack `on.aws` ones), a tag (`latest` when none is given) or a digest
(which wins over a tag given with it), or a runtime's `docker-pullable://` image ID. A name without a
registry host is a Docker Hub image to every consumer kind the report reads, so it is not one of ours.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from ecr_usage_report.inventory.model import ROLLBACK_STATE
from ecr_usage_report.inventory.model import Consumer, Function, Image, LastRun, LogGroupKey, Repository, repository_of

LAMBDA_VERSION = "lambda version"
LAMBDA_FUNCTION = "lambda function"  # how the counts name the manual's functions
BY_TAG, BY_DIGEST = "tag", "digest"
DEFAULT_TAG = "latest"
RUNTIME_PREFIXES = ("docker-pullable://", "docker://")
PRIVATE_REGISTRY = re.compile(
    r"(?P<account>\d{12})\.(?:dkr\.ecr|dkr\.ecr-fips|dkr-ecr|dkr-ecr-fips)\.(?P<region>[a-z0-9-]+)"
    r"\.(?:amazonaws\.com(?P<china>\.cn)?|on\.aws)(?::443)?")


@dataclass(frozen=True, order=True)
class Use:
    """How a consumer names one image: its canonical URI, by tag or by digest."""

    image: str  # `<account>.dkr.ecr.<region>.amazonaws.com/<repository>` then `:tag` or `@digest`
    by: str  # BY_TAG or BY_DIGEST
    reference: str  # as the consumer wrote it


def canonical_image(reference: str) -> Use | None:
    """The private ECR image a reference names, in the form ECR lists its images; None for any other image."""
    named = reference.strip()
    for prefix in RUNTIME_PREFIXES:
        named = named.removeprefix(prefix)
    host, slash, path = named.partition("/")
    registry = PRIVATE_REGISTRY.fullmatch(host.lower())
    if not slash or not path or registry is None:
        return None
    suffix = ".amazonaws.com.cn" if registry["china"] or registry["region"].startswith("cn-") else ".amazonaws.com"
    base = f"{registry['account']}.dkr.ecr.{registry['region']}{suffix}"
    name, at, digest = path.partition("@")
    repository, colon, tag = name.rpartition(":") if ":" in name else (name, "", "")
    if at and digest:
        return Use(f"{base}/{repository}@{digest}", BY_DIGEST, reference)
    return Use(f"{base}/{repository}:{tag or DEFAULT_TAG}", BY_TAG, reference)


def uses(consumer: Consumer) -> tuple[Use, ...]:
    """The private ECR images a consumer names, once each."""
    return tuple(dict.fromkeys(use for use in map(canonical_image, consumer.images) if use is not None))


@dataclass(frozen=True)
class ConsumerIndex:
    """Who names what, in every region: consumers by the repositories and image URIs they name."""

    by_repository: dict[str, tuple[tuple[Consumer, Use], ...]] = field(default_factory=dict)
    by_image: dict[str, tuple[tuple[Consumer, Use], ...]] = field(default_factory=dict)
    found: tuple[Consumer, ...] = ()  # every consumer read, in or out of the report's repositories

    @classmethod
    def of(cls, consumers: Iterable[Consumer]) -> ConsumerIndex:
        """Index consumers by each image they name and its repository, ordered by kind, region and name."""
        ordered = tuple(sorted(set(consumers), key=lambda c: (c.kind, c.region, c.name)))
        repositories: dict[str, list[tuple[Consumer, Use]]] = {}
        images: dict[str, list[tuple[Consumer, Use]]] = {}
        for consumer in ordered:
            for use in uses(consumer):
                images.setdefault(use.image, []).append((consumer, use))
                repositories.setdefault(repository_of(use.image) or "", []).append((consumer, use))
        return cls({uri: tuple(pairs) for uri, pairs in repositories.items()},
                   {uri: tuple(pairs) for uri, pairs in images.items()}, ordered)

    def users_of(self, repository: Repository) -> tuple[Consumer, ...]:
        """Consumers that name an image of the repository (whether ECR still holds it or not), once each."""
        return tuple(dict.fromkeys(consumer for consumer, _ in self.by_repository.get(repository.uri, ())))

    def uses_of(self, repository: Repository) -> tuple[tuple[Consumer, Use], ...]:
        """Each (consumer, image of the repository it names)."""
        return self.by_repository.get(repository.uri, ())

    def image_uses(self, image: Image) -> list[tuple[Consumer, Use]]:
        """Each consumer that names this image, by one of its tags or by its digest."""
        return [pair for uri in image.uris for pair in self.by_image.get(uri, ())]


def lambda_version_consumers(functions: dict[str, tuple[Function, ...]],
                             last_runs: dict[LogGroupKey, LastRun]) -> list[Consumer]:
    """Each image function's rollback versions, last run as its log group tells (versions share it)."""
    consumers = []
    for region, listed in functions.items():
        for function in listed:
            last = last_runs.get((region, function.log_group))
            for version in function.rollback_versions or ():
                images = tuple(uri for uri in (version.image_uri, version.resolved_image_uri) if uri)
                consumers.append(Consumer(LAMBDA_VERSION, f"{function.name}:{version.version}", region, images,
                                          last.at if last else None, ROLLBACK_STATE))
    return consumers


def count_by_kind(consumers: Iterable[Consumer]) -> dict[str, int]:
    """How many consumers of each kind, kinds in name order."""
    counts: dict[str, int] = {}
    for consumer in consumers:
        counts[consumer.kind] = counts.get(consumer.kind, 0) + 1
    return dict(sorted(counts.items()))

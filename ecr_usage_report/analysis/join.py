"""Who runs what: every consumer joined to the repositories and images it names, across all regions (pure).

A consumer is anything that runs, or can start, an image: a Lambda function (and its aliased
versions), a rollback version of one, an ECS service, a schedule, a Batch job definition, an App
Runner service, an EKS workload. Each image it names is read once, in its canonical form
(`inventory/references.py`), and indexed by that image URI and by its repository's URI; both carry
the registry's account and region, so an image named in one account and stored in another joins too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ecr_usage_report.inventory.model import ROLLBACK_STATE
from ecr_usage_report.inventory.model import Consumer, Function, Image, LastRun, LogGroupKey, Repository
from ecr_usage_report.inventory.references import Use, canonical_image, repository_of

LAMBDA_FUNCTION = "lambda function"  # a function of the manual: $LATEST and its aliased versions
LAMBDA_VERSION = "lambda version"  # a rollback version of one
Pair = tuple[Consumer, Use]


def uses(consumer: Consumer) -> tuple[Use, ...]:
    """The private ECR images a consumer names, once each."""
    return tuple(dict.fromkeys(use for use in map(canonical_image, consumer.images) if use is not None))


def is_function(consumer: Consumer) -> bool:
    """True for the consumer of a Lambda function of the manual (not a rollback version)."""
    return consumer.kind == LAMBDA_FUNCTION


def function_consumer(region: str, function: Function, last_runs: Mapping[LogGroupKey, LastRun]) -> Consumer:
    """A function as a consumer: the images it and its aliased versions run, last run as its log group tells."""
    last = last_runs.get((region, function.log_group))
    return Consumer(LAMBDA_FUNCTION, function.name, region, tuple(sorted(function.image_refs)),
                    last.at if last else None)


def lambda_version_consumers(functions: Mapping[str, Iterable[Function]],
                             last_runs: Mapping[LogGroupKey, LastRun]) -> list[Consumer]:
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


@dataclass(frozen=True)
class UsageIndex:
    """Who runs what, in every region: consumers (functions included) by the image URIs and repositories they name."""

    by_repository: dict[str, tuple[Pair, ...]] = field(default_factory=dict)  # repository URI -> (consumer, use)
    by_image: dict[str, tuple[Pair, ...]] = field(default_factory=dict)  # canonical image URI -> (consumer, use)
    found: tuple[Consumer, ...] = ()  # every consumer besides functions, in or out of the report's repositories
    functions: Mapping[Consumer, Function] = field(default_factory=dict)  # a function's consumer -> the function

    @classmethod
    def of(cls, functions: Mapping[str, Iterable[Function]], last_runs: Mapping[LogGroupKey, LastRun] | None = None,
           others: Iterable[Consumer] = ()) -> UsageIndex:
        """Index each region's functions and every other consumer, ordered by kind, region and name."""
        named = {function_consumer(region, function, last_runs or {}): function
                 for region, listed in functions.items() for function in listed}
        ordered = tuple(sorted({*named, *others}, key=lambda c: (c.kind, c.region, c.name)))
        repositories: dict[str, list[Pair]] = {}
        images: dict[str, list[Pair]] = {}
        for consumer in ordered:
            for use in uses(consumer):
                images.setdefault(use.image, []).append((consumer, use))
                repositories.setdefault(repository_of(use.image) or "", []).append((consumer, use))
        return cls({uri: tuple(pairs) for uri, pairs in repositories.items()},
                   {uri: tuple(pairs) for uri, pairs in images.items()},
                   tuple(consumer for consumer in ordered if not is_function(consumer)), named)

    def uses_of(self, repository: Repository) -> tuple[Pair, ...]:
        """Each (consumer, image of the repository it names)."""
        return self.by_repository.get(repository.uri, ())

    def users_of(self, repository: Repository) -> tuple[Consumer, ...]:
        """Consumers that name an image of the repository, once each, by kind, region and name.

        One whose image was deleted from ECR still counts: Lambda, say, keeps running it, and
        deleting the repository would break the function's next update.
        """
        return tuple(dict.fromkeys(consumer for consumer, _ in self.uses_of(repository)))

    def functions_of(self, repository: Repository) -> tuple[Function, ...]:
        """The functions (the manual's) that run an image of the repository, once each, by name."""
        return tuple(self.functions[user] for user in self.users_of(repository) if is_function(user))

    def others_of(self, repository: Repository) -> tuple[Consumer, ...]:
        """The consumers besides functions that name an image of the repository."""
        return tuple(user for user in self.users_of(repository) if not is_function(user))

    def image_uses(self, image: Image) -> list[Pair]:
        """Each consumer besides functions that names this image, by one of its tags or by its digest."""
        return [pair for uri in image.uris for pair in self.by_image.get(uri, ()) if not is_function(pair[0])]

    def image_functions(self, image: Image) -> list[str]:
        """Names of the functions (or their aliased versions) that run this image, by a tag or its digest."""
        return sorted({user.name for uri in image.uris for user, _ in self.by_image.get(uri, ()) if is_function(user)})


def count_by_kind(consumers: Iterable[Consumer]) -> dict[str, int]:
    """How many consumers of each kind, kinds in name order."""
    counts: dict[str, int] = {}
    for consumer in consumers:
        counts[consumer.kind] = counts.get(consumer.kind, 0) + 1
    return dict(sorted(counts.items()))

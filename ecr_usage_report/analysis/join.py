"""Join functions to the repositories and images they run, once per region (pure)."""
from __future__ import annotations

from dataclasses import dataclass

from ecr_usage_report.inventory.model import Function, Image, Repository


@dataclass(frozen=True)
class UsageIndex:
    """Who runs what in one region: functions indexed by the repositories and image URIs they name."""

    by_repository: dict[str, tuple[Function, ...]]  # repository URI -> functions, by name, once each
    by_image_uri: dict[str, frozenset[str]]  # image URI (tag or digest form) -> function names

    @classmethod
    def of(cls, functions: tuple[Function, ...] | list[Function]) -> UsageIndex:
        """Index a region's functions."""
        repositories: dict[str, dict[str, Function]] = {}
        images: dict[str, set[str]] = {}
        for function in functions:
            for uri in function.image_refs:
                images.setdefault(uri, set()).add(function.name)
            for repository in function.repository_uris:
                repositories.setdefault(repository, {})[function.name] = function
        by_repository = {uri: tuple(users[name] for name in sorted(users)) for uri, users in repositories.items()}
        return cls(by_repository, {uri: frozenset(names) for uri, names in images.items()})

    def users_of(self, repository: Repository) -> tuple[Function, ...]:
        """Functions that run an image of the repository, once each, by name.

        A function whose image was deleted from ECR still counts: Lambda keeps running it, and
        deleting the repository would break the function's next update.
        """
        return self.by_repository.get(repository.uri, ())

    def image_users(self, image: Image) -> list[str]:
        """Names of the functions (or their aliased versions) that run this image, by tag URI or digest."""
        return sorted({name for uri in image.uris for name in self.by_image_uri.get(uri, ())})

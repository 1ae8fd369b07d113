"""Join Lambda functions to the ECR repositories and images they run (pure functions).

A region's functions are indexed once (UsageIndex), so joining R repositories and I images to
F functions costs O(R + I + F) rather than O(R x F) and O(I x F).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def function_image_refs(function: dict[str, Any]) -> set[str]:
    """The image URIs a function names: its ImageUri and resolved digest, and those of aliased versions."""
    codes = [function, *(function.get("AliasedVersions") or [])]
    return {uri for code in codes for uri in (code.get("ImageUri"), code.get("ResolvedImageUri")) if uri}


def repository_of(image_uri: str) -> str | None:
    """The repository URI an image URI points into (`repo:tag` or `repo@digest`); None without either."""
    named, at, _digest = image_uri.partition("@")
    head, slash, last = named.rpartition("/")
    name, colon, _tag = last.partition(":")
    return head + slash + name if colon or at else None


@dataclass(frozen=True)
class UsageIndex:
    """Who runs what in one region, built once from the region's functions."""

    by_repository: dict[str, list[dict[str, Any]]]  # repository URI -> functions, by name, once each
    by_image_uri: dict[str, set[str]]  # image URI (tag or digest) -> function names

    @classmethod
    def of(cls, functions: list[dict[str, Any]]) -> UsageIndex:
        """Index functions by the repositories and image URIs they name."""
        repositories: dict[str, dict[str, dict[str, Any]]] = {}
        images: dict[str, set[str]] = {}
        for function in functions:
            name = function["FunctionName"]
            for uri in function_image_refs(function):
                images.setdefault(uri, set()).add(name)
                repository = repository_of(uri)
                if repository is not None:
                    repositories.setdefault(repository, {})[name] = function
        by_repository = {uri: [users[name] for name in sorted(users)] for uri, users in repositories.items()}
        return cls(by_repository, images)

    def users_of(self, repository: dict[str, Any]) -> list[dict[str, Any]]:
        """Functions that run an image of the repository, once each, by name.

        A function whose image was deleted from ECR still counts: Lambda keeps running it,
        and deleting the repository would break the function's next update.
        """
        return self.by_repository.get(repository["repositoryUri"], [])

    def image_users(self, image: dict[str, Any]) -> list[str]:
        """Names of the functions (or their aliased versions) that run this image, by tag URI or digest."""
        return sorted({name for uri in image["imageUris"] for name in self.by_image_uri.get(uri, ())})


def functions_using(repository: dict[str, Any], functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Functions that run an image of the repository, once each, by name (one repository: no index kept)."""
    return UsageIndex.of(functions).users_of(repository)

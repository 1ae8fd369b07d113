"""Join Lambda functions to the ECR repositories and images they run (pure functions)."""
from __future__ import annotations

from typing import Any


def function_image_refs(function: dict[str, Any]) -> set[str]:
    """The image URIs a function names: its ImageUri and resolved digest, and those of aliased versions."""
    codes = [function, *(function.get("AliasedVersions") or [])]
    return {uri for code in codes for uri in (code.get("ImageUri"), code.get("ResolvedImageUri")) if uri}


def runs_image(function: dict[str, Any], image: dict[str, Any]) -> bool:
    """True when the function names this image by a tag URI or by digest."""
    return not function_image_refs(function).isdisjoint(image["imageUris"])


def in_repository(uri: str, repository_uri: str) -> bool:
    """True when an image URI points into the repository (`repo:tag` or `repo@digest`)."""
    return uri.startswith(repository_uri) and uri[len(repository_uri):][:1] in (":", "@")


def uses_repository(function: dict[str, Any], repository: dict[str, Any]) -> bool:
    """True when the function runs an image of the repository.

    A function whose image was deleted from ECR still counts: Lambda keeps running it,
    and deleting the repository would break the function's next update.
    """
    refs = function_image_refs(function)
    return any(in_repository(uri, repository["repositoryUri"]) for uri in refs)


def functions_using(repository: dict[str, Any], functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Functions that run an image of the repository, once each, by name."""
    users = {function["FunctionName"]: function for function in functions if uses_repository(function, repository)}
    return [users[name] for name in sorted(users)]

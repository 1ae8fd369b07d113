"""Image references, read in one place (pure): the tag, the digest and the repository of a reference,
and the private ECR image it names in the canonical form ECR lists its images by.

A consumer names an image as a container runtime reads it: any of the private registry's host names
(`dkr.ecr`, FIPS, the dual-stack `on.aws` ones), a tag (`latest` when none is given) or a digest
(which wins over a tag given with it), or a runtime's `docker-pullable://` image ID. A name without a
registry host is a Docker Hub image to every consumer kind the report reads, so it is not one of ours.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

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


def repository_of(image_uri: str) -> str | None:
    """The repository URI an image URI points into (`repo:tag` or `repo@digest`); None without either."""
    named, at, _digest = image_uri.partition("@")
    head, slash, last = named.rpartition("/")
    name, colon, _tag = last.partition(":")
    return head + slash + name if colon or at else None


def image_name(image_reference: str) -> str:
    """An image reference without its tag or digest (`host/team/app`)."""
    head, slash, last = image_reference.partition("@")[0].rpartition("/")
    return head + slash + last.partition(":")[0]


def digest_of(uri: str | None) -> str | None:
    """The digest of a `repo@digest` URI."""
    return uri.partition("@")[2] or None if uri else None


def tag_of(uri: str) -> str | None:
    """The tag of a `repo:tag` URI."""
    if "@" in uri:
        return None
    _, colon, tag = uri.rpartition("/")[2].partition(":")
    return tag if colon else None


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

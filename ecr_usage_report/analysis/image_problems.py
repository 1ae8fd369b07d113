"""Functions whose image Lambda can no longer pull or run (pure): an archived image, an image index,
an image or a repository that no longer exists.

Lambda runs a function from its own copy of the image, pinned by digest when it was deployed, so
such a function keeps running until Lambda pulls the image again: on a cold start after the
function went idle, or on its next update. A tag that now names an index or an archived image, or
that no longer exists, breaks the next deploy of that tag instead.
"""
from __future__ import annotations

from dataclasses import dataclass

from ecr_usage_report.inventory.model import Function, Image, Inventory, Repository
from ecr_usage_report.inventory.references import digest_of, repository_of, tag_of

ARCHIVED, INDEX, GONE, REPOSITORY_GONE, TAG_GONE = "archived", "index", "gone", "repository gone", "tag gone"
# (qualifier: "" for $LATEST, "version 3: live" for an aliased version; ImageUri; ResolvedImageUri)
CodeRef = tuple[str, str, str | None]


@dataclass(frozen=True)
class ImageProblem:
    """A function (or an aliased version of it) whose image Lambda cannot pull or run."""

    region: str
    function: str
    uri: str  # the image in question: the digest form of what it runs, or the tag form for a tag
    problem: str  # ARCHIVED, INDEX, GONE, REPOSITORY_GONE or TAG_GONE
    image: Image | None = None
    by_tag: bool = False  # True: what its tag names now is the problem (its next deploy), not what it runs
    qualifier: str = ""  # "" for $LATEST; "version 3: live" for a published version aliases point to

    @property
    def label(self) -> str:
        """The function, with the version and aliases when it is not $LATEST."""
        return f"{self.function} ({self.qualifier})" if self.qualifier else self.function


def code_refs(function: Function) -> list[CodeRef]:
    """The images $LATEST and each aliased version that runs another image name (unread ones left out)."""
    latest = (function.image_uri, function.resolved_image_uri)
    refs = [("", *latest)] if function.image_uri else []
    refs += [(f"version {v.version}: {', '.join(v.aliases)}", v.image_uri, v.resolved_image_uri)
             for v in function.aliased_versions or () if v.image_uri and (v.image_uri, v.resolved_image_uri) != latest]
    return refs


def ref_problem(region: str, name: str, ref: CodeRef, repository: Repository) -> ImageProblem | None:
    """What is wrong with the image of `repository` one code reference runs, or with what its tag names."""
    qualifier, image_uri, resolved = ref
    digest, tag = digest_of(resolved) or digest_of(image_uri), tag_of(image_uri)
    tagged = next((image for image in repository.images if tag in image.tags), None) if tag else None
    runs = next((image for image in repository.images if image.digest == digest), None) if digest else tagged
    if runs is None:
        return ImageProblem(region, name, f"{repository.uri}@{digest}" if digest else image_uri, GONE,
                            qualifier=qualifier)
    for image, by_tag in ((runs, False), (tagged, True)):
        if image is None or (by_tag and image.digest == runs.digest):
            continue
        uri = image_uri if by_tag else f"{repository.uri}@{image.digest}"
        if image.is_archived:
            return ImageProblem(region, name, uri, ARCHIVED, image, by_tag, qualifier)
        if image.is_index:
            return ImageProblem(region, name, uri, INDEX, image, by_tag, qualifier)
    if tag and tagged is None:
        return ImageProblem(region, name, image_uri, TAG_GONE, None, True, qualifier)
    return None


def function_problems(region: str, function: Function, repository: Repository) -> list[ImageProblem]:
    """What is wrong with the images of `repository` that the function or its aliased versions run."""
    found = [ref_problem(region, function.name, ref, repository) for ref in code_refs(function)
             if repository_of(ref[2] or ref[1]) == repository.uri]
    return [problem for problem in found if problem is not None]


def image_problems(inventory: Inventory) -> tuple[ImageProblem, ...]:
    """Every function of every region whose image cannot be pulled or run, by region and function.

    A repository counts as gone only when its registry (its account's, in its region) was listed,
    and no read of that repository failed. A function may run another account's image (a report of
    several accounts has read that account's registry too).
    """
    by_uri = {repository.uri: repository for data in inventory.ecr.values() for repository in data.repositories}
    registries = {repository.uri.split("/", 1)[0]: region for region, data in inventory.ecr.items()
                  for repository in data.repositories}
    unread = {(error.region, error.resource) for error in inventory.errors if error.service == "ECR"}
    found: list[ImageProblem] = []
    for region, listed in sorted(inventory.functions.items()):
        for function in listed:
            for ref in code_refs(function):
                uri = repository_of(ref[2] or ref[1]) or ""
                registry, _, name = uri.partition("/")
                if uri in by_uri:
                    problem = ref_problem(region, function.name, ref, by_uri[uri])
                elif registry in registries and (registries[registry], name) not in unread:
                    problem = ImageProblem(region, function.name, uri, REPOSITORY_GONE, qualifier=ref[0])
                else:
                    problem = None
                if problem is not None:
                    found.append(problem)
    return tuple(sorted(found, key=lambda problem: (problem.region, problem.function, problem.qualifier)))

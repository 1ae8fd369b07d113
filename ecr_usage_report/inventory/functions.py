"""Lambda reader: a region's functions, then the image each image function (and each aliased
published version, and its newest published versions: what a rollback would run) runs. A Zip
function needs no call beyond the listing."""
from __future__ import annotations

from functools import partial
from typing import Any

from ecr_usage_report.aws.errors import AWS_ERRORS, error_code, error_message
from ecr_usage_report.inventory.model import AliasedVersion, Function, ReadError
from ecr_usage_report.inventory.reader import RegionReader

LABEL = "Lambda"
IMAGE = "Image"
LATEST = "$LATEST"
VANISHED = "ResourceNotFoundException"
Listed = tuple[dict[str, Any], tuple[str, ...]]  # ($LATEST configuration, its published versions)


def log_group_name(configuration: dict[str, Any]) -> str:
    """The function's log group: LoggingConfig.LogGroup, else Lambda's default."""
    custom = (configuration.get("LoggingConfig") or {}).get("LogGroup")
    return custom or f"/aws/lambda/{configuration['FunctionName']}"


def function_of(configuration: dict[str, Any], code: dict[str, Any] | None = None,
                aliased: tuple[AliasedVersion, ...] | None = (),
                rollback: tuple[AliasedVersion, ...] | None = ()) -> Function:
    """A ListFunctions entry, with GetFunction's Code for an image function (None: it could not be read)."""
    code = code or {}
    return Function(
        name=configuration["FunctionName"],
        memory_size=configuration.get("MemorySize"),
        last_modified=configuration.get("LastModified"),
        package_type=configuration.get("PackageType", "Zip"),
        image_uri=code.get("ImageUri"),
        description=configuration.get("Description", ""),
        log_group=log_group_name(configuration),
        resolved_image_uri=code.get("ResolvedImageUri"),
        aliased_versions=aliased if configuration.get("PackageType") == IMAGE else (),
        rollback_versions=rollback if configuration.get("PackageType") == IMAGE else (),
    )


def list_functions(client: Any) -> list[Listed]:
    """Every function's $LATEST configuration (every ListFunctions page), each with its published
    versions: only a function with one can have an alias on another image, so only those need
    ListAliases, which shares Lambda's control-plane quota with this listing."""
    pages = client.get_paginator("list_functions").paginate(FunctionVersion="ALL")
    latest, published = [], {}
    for page in pages:
        for configuration in page.get("Functions", []):
            if configuration.get("Version", LATEST) == LATEST:
                latest.append(configuration)
            else:
                published.setdefault(configuration["FunctionName"], []).append(configuration["Version"])
    return [(configuration, tuple(sorted(published.get(configuration["FunctionName"], []), key=int, reverse=True)))
            for configuration in latest]


def version_of(client: Any, name: str, version: str, aliases: tuple[str, ...] = ()) -> AliasedVersion:
    """A published version and the image it runs (raises AWS errors)."""
    code = client.get_function(FunctionName=name, Qualifier=version).get("Code", {})
    return AliasedVersion(version, aliases, code.get("ImageUri"), code.get("ResolvedImageUri"))


def aliased_versions(client: Any, name: str) -> tuple[AliasedVersion, ...]:
    """Published versions that aliases point to, with the image each runs (raises AWS errors)."""
    pages = client.get_paginator("list_aliases").paginate(FunctionName=name)
    by_version: dict[str, list[str]] = {}
    for alias in (alias for page in pages for alias in page.get("Aliases", [])):
        if alias["FunctionVersion"] != LATEST:
            by_version.setdefault(alias["FunctionVersion"], []).append(alias["Name"])
    return tuple(version_of(client, name, version, tuple(sorted(aliases)))
                 for version, aliases in sorted(by_version.items()))


def read_function(client: Any, region: str, listed: Listed,
                  rollback_versions: int = 0) -> tuple[Function | None, list[ReadError]]:
    """One function; None when it was deleted after it was listed. A failed read keeps the function,
    its unknown parts None, with the error. Its newest `rollback_versions` published versions that
    no alias names are read too."""
    configuration, published = listed
    if configuration.get("PackageType") != IMAGE:
        return function_of(configuration), []
    name = configuration["FunctionName"]
    try:
        code = client.get_function(FunctionName=name).get("Code", {})
    except AWS_ERRORS as exc:
        if error_code(exc) == VANISHED:
            return None, []
        return function_of(configuration, {}), [ReadError(region, LABEL, name, error_message(exc))]
    if not published:
        return function_of(configuration, code), []
    try:
        aliased = aliased_versions(client, name)
    except AWS_ERRORS as exc:
        if error_code(exc) == VANISHED:
            return function_of(configuration, code), []
        return function_of(configuration, code, None), [ReadError(region, LABEL, f"{name} aliases", error_message(exc))]
    named = {version.version for version in aliased}
    try:
        rollback = tuple(version_of(client, name, version) for version in published[:rollback_versions]
                         if version not in named)
    except AWS_ERRORS as exc:
        if error_code(exc) == VANISHED:
            return function_of(configuration, code, aliased), []
        return (function_of(configuration, code, aliased, None),
                [ReadError(region, LABEL, f"{name} versions", error_message(exc))])
    return function_of(configuration, code, aliased, rollback), []


def is_image(listed: Listed) -> bool:
    """Only an image function's read makes calls: ListFunctions told all of a Zip function."""
    return listed[0].get("PackageType") == IMAGE


def reader(rollback_versions: int) -> RegionReader[Listed, Function]:
    """The Lambda reader, reading each image function's newest `rollback_versions` published versions too."""
    return RegionReader(service="lambda", label=LABEL, list_items=list_functions,
                        read_item=partial(read_function, rollback_versions=rollback_versions), needs_call=is_image)


READER = reader(0)  # the manual's functions read no rollback versions: its objects have no place for them

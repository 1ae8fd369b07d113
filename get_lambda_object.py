"""Lambda inventory: every function of every region, as the manual's objects.

Function object: {'FunctionName', 'MemorySize', 'LastModified', 'PackageType', 'ImageUri',
    'Description', 'LogGroupName', 'ResolvedImageUri', 'AliasedVersions'} (the image keys are None
    for Zip). 'AliasedVersions' lists the published versions that aliases point to, each as
    {'Version', 'Aliases', 'ImageUri', 'ResolvedImageUri'}: they may run older images than $LATEST.
"""
from __future__ import annotations

from concurrent.futures import Executor
from functools import partial
from typing import Any, Callable

import boto3

from aws_clients import ClientFactory
from aws_errors import AWS_ERRORS, error_code, error_message
from parallel import RegionPools, map_in_pool, map_regions
from regions import enabled_regions

IMAGE = "Image"
LATEST = "$LATEST"
# A region's image functions are read at most this many at a time: their calls are paced to the
# region's quotas (GetFunction; ListAliases, 15 a second paced to 12, for a released function), and
# more would only wait for tokens while other regions' functions queued behind them in the pool.
FUNCTIONS_AT_ONCE = 6
VANISHED = "ResourceNotFoundException"


def log_group_name(configuration: dict[str, Any]) -> str:
    """The function's log group: LoggingConfig.LogGroup, else Lambda's default."""
    custom = (configuration.get("LoggingConfig") or {}).get("LogGroup")
    return custom or f"/aws/lambda/{configuration['FunctionName']}"


def function_object(
    configuration: dict[str, Any], code: dict[str, Any] | None = None, aliased: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Shape a ListFunctions entry (plus GetFunction's Code for images) into the manual's object.

    For an image function, None for the code's ImageUri or for `aliased` means it could not be read.
    """
    code = code or {}
    return {
        "FunctionName": configuration["FunctionName"],
        "MemorySize": configuration.get("MemorySize"),
        "LastModified": configuration.get("LastModified"),
        "PackageType": configuration.get("PackageType", "Zip"),
        "ImageUri": code.get("ImageUri"),
        "Description": configuration.get("Description", ""),
        "LogGroupName": log_group_name(configuration),
        "ResolvedImageUri": code.get("ResolvedImageUri"),
        "AliasedVersions": aliased if configuration.get("PackageType") == IMAGE else [],
    }


def list_functions(client: Any) -> tuple[list[dict[str, Any]], set[str]]:
    """Every function's $LATEST configuration in the client's region (every ListFunctions page),
    and the names of the functions that have a published version.

    One listing of all versions tells which functions can have an alias on a published version;
    the others need no ListAliases call, which shares Lambda's 15-a-second quota with this listing.
    """
    pages = client.get_paginator("list_functions").paginate(FunctionVersion="ALL")
    latest, published = [], set()
    for page in pages:
        for configuration in page.get("Functions", []):
            if configuration.get("Version", LATEST) == LATEST:
                latest.append(configuration)
            else:
                published.add(configuration["FunctionName"])
    return latest, published


def image_code(client: Any, region: str, name: str, errors: list[tuple[str, str]]) -> dict[str, Any] | None:
    """GetFunction's Code of an image function; None when it vanished, {} with an error noted."""
    try:
        return client.get_function(FunctionName=name).get("Code", {})
    except AWS_ERRORS as exc:
        if error_code(exc) == VANISHED:
            return None
        errors.append((f"{region}/{name}", error_message(exc)))
        return {}


def aliased_versions(client: Any, region: str, name: str, errors: list[tuple[str, str]]) -> list[dict[str, Any]] | None:
    """Published versions that aliases point to, with the image each runs (None: unknown, error noted)."""
    try:
        pages = client.get_paginator("list_aliases").paginate(FunctionName=name)
        aliases = [alias for page in pages for alias in page.get("Aliases", [])]
        by_version: dict[str, list[str]] = {}
        for alias in aliases:
            if alias["FunctionVersion"] != LATEST:
                by_version.setdefault(alias["FunctionVersion"], []).append(alias["Name"])
        versions = []
        for version, names in sorted(by_version.items()):
            code = client.get_function(FunctionName=name, Qualifier=version).get("Code", {})
            versions.append({"Version": version, "Aliases": sorted(names),
                             "ImageUri": code.get("ImageUri"), "ResolvedImageUri": code.get("ResolvedImageUri")})
        return versions
    except AWS_ERRORS as exc:
        if error_code(exc) == VANISHED:
            return []
        errors.append((f"{region}/{name} aliases", error_message(exc)))
        return None


def get_region_lambda_object(
    client: Any,
    region: str,
    executor: Executor | None = None,
    errors: list[tuple[str, str]] | None = None,
    on_function: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]] | None:
    """All functions of one region; GetFunction only for image functions, run in `executor`.

    `on_function(function_object)` is called as each function's object is complete.

    Returns:
        The list of function objects, or None when the region cannot be listed
        (the reason is appended to `errors`, as are per-function GetFunction failures).
    """
    errors = errors if errors is not None else []
    try:
        configurations, published = list_functions(client)
    except AWS_ERRORS as exc:
        errors.append((region, error_message(exc)))
        return None

    def read(configuration: dict[str, Any]) -> dict[str, Any] | None:
        if configuration.get("PackageType") != IMAGE:
            return function_object(configuration)
        name = configuration["FunctionName"]
        code = image_code(client, region, name, errors)
        if code is None:
            return None
        aliased = aliased_versions(client, region, name, errors) if name in published else []
        return function_object(configuration, code, aliased)

    def shape(configuration: dict[str, Any]) -> dict[str, Any] | None:
        function = read(configuration)
        if function is not None and on_function is not None:
            on_function(function)
        return function

    functions = map_in_pool(shape, configurations, executor, workers=1, at_once=FUNCTIONS_AT_ONCE)
    return [function for function in functions if function]


def get_region_lambda_object_dic(
    session: boto3.Session,
    regions: list[str] | None = None,
    errors: list[tuple[str, str]] | None = None,
    clients: ClientFactory | None = None,
    pools: RegionPools | None = None,
    on_function: Callable[[str, dict[str, Any]], None] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The Lambda object of every region (enabled regions by default).

    Every failure is appended to `errors` as (region, message) or
    ("region/function", message); regions that failed are left out of the result.
    Reads run in `pools` when given (shared with the other reader), else in new ones.
    `on_function(region, function_object)` is called as each function's object is complete.
    """
    clients = clients or ClientFactory(session)
    regions = regions if regions is not None else enabled_regions(clients)
    errors = errors if errors is not None else []

    def collect(region: str, function_pool: Executor) -> tuple[list[dict[str, Any]] | None, list[tuple[str, str]]]:
        region_errors: list[tuple[str, str]] = []
        try:
            tell = partial(on_function, region) if on_function is not None else None
            functions = get_region_lambda_object(clients.get("lambda", region), region, function_pool, region_errors, tell)
        except AWS_ERRORS as exc:
            functions, region_errors = None, [(region, error_message(exc))]
        return functions, region_errors

    results = map_regions(collect, regions, clients.workers, pools, paced=True)
    lambda_object = {}
    for region, (functions, region_errors) in zip(regions, results):
        errors.extend(region_errors)
        if functions is not None:
            lambda_object[region] = functions
    return lambda_object

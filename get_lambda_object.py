"""The manual's Lambda objects: every function of every region.

Function object: {'FunctionName', 'MemorySize', 'LastModified', 'PackageType', 'ImageUri',
    'Description', 'LogGroupName', 'ResolvedImageUri', 'AliasedVersions'} (the image keys are None
    for Zip). 'AliasedVersions' lists the published versions that aliases point to, each as
    {'Version', 'Aliases', 'ImageUri', 'ResolvedImageUri'}: they may run older images than $LATEST.
    It is None when they could not be read.
"""
from __future__ import annotations

from typing import Any

import boto3

from ecr_usage_report import manual
from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.inventory import functions


def get_region_lambda_object(client: Any, region: str,
                             errors: list[tuple[str, str]] | None = None) -> list[dict[str, Any]] | None:
    """All functions of one region, from a Lambda client of that region (GetFunction only for image functions).

    Returns:
        The list of function objects, or None when the region cannot be listed (the reason is
        appended to `errors`, as are per-function failures).
    """
    found, read_errors = manual.read_with_client(functions.READER, client, region)
    if errors is not None:
        errors.extend(manual.manual_errors(read_errors))
    return None if found is None else [manual.function_object(function) for function in found]


def get_region_lambda_object_dic(
    session: boto3.Session,
    regions: list[str] | None = None,
    errors: list[tuple[str, str]] | None = None,
    clients: ClientFactory | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The Lambda object of every region (enabled regions by default), read side by side.

    Every failure is appended to `errors` as (region, message) or ("region/function", message);
    regions that could not be listed are left out of the result.
    """
    found, read_errors = manual.read_everywhere(functions.READER, session, regions, clients)
    if errors is not None:
        errors.extend(manual.manual_errors(read_errors))
    return {region: [manual.function_object(function) for function in listed] for region, listed in found.items()}

"""Configuration from env vars and the invocation event, checked with clear messages.

An event key beats the env var, which beats the default.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from cleanup_rules import Thresholds

EMAIL_ENV = "EMAIL"
REGIONS_ENV = "REGIONS"
EVENT_REGIONS = "regions"
EVENT_DRY_RUN = "dry_run"
REPORT_S3_URI_ENV = "REPORT_S3_URI"
# (event key, env var, parse as, smallest allowed value)
THRESHOLD_SOURCES = {
    "price_per_gb_month": ("price_per_gb_month", "ECR_PRICE_PER_GB_MONTH", float, 0.0),
    "unused_days": ("unused_days", "UNUSED_DAYS", int, 1),
    "idle_days": ("idle_days", "IDLE_DAYS", int, 1),
}
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}


class ConfigError(ValueError):
    """An env var or event key that is missing or malformed."""


@dataclass(frozen=True)
class RunOptions:
    """What one run was asked to do."""

    regions: list[str] | None  # None: every enabled region
    dry_run: bool
    thresholds: Thresholds = field(default_factory=Thresholds)


def parse_bool(value: Any, name: str) -> bool:
    """A strict boolean: true/false (or 1/0, yes/no as text); anything else is an error."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def parse_region_list(value: Any, name: str) -> list[str]:
    """A list of region names, or a comma-separated string of them."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f'{name} must be a list of region names, e.g. ["ap-northeast-2"], got {value!r}')
    names = [item.strip() for item in value if item.strip()]
    if not names:
        raise ConfigError(f"{name} names no region")
    return names


def parse_event(event: Any, environ: dict[str, str] | None = None) -> RunOptions:
    """Options of one run from the event (None, {}, console test and EventBridge events all run)."""
    environ = os.environ if environ is None else environ
    if event is None:
        event = {}
    if not isinstance(event, dict):
        raise ConfigError(f"The event must be a JSON object or null, got {type(event).__name__}")
    if EVENT_REGIONS in event and event[EVENT_REGIONS] is not None:
        regions = parse_region_list(event[EVENT_REGIONS], f'event key "{EVENT_REGIONS}"')
    elif environ.get(REGIONS_ENV, "").strip():
        regions = parse_region_list(environ[REGIONS_ENV], f"env var {REGIONS_ENV}")
    else:
        regions = None
    dry_run = parse_bool(event.get(EVENT_DRY_RUN, False), f'event key "{EVENT_DRY_RUN}"')
    return RunOptions(regions=regions, dry_run=dry_run, thresholds=parse_thresholds(event, environ))


def parse_number(value: Any, name: str, kind: type, minimum: float) -> float:
    """A number of the given kind, at least `minimum`; text is accepted and parsed."""
    if isinstance(value, bool) or (kind is int and isinstance(value, float)):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    try:
        number = kind(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        noun = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name} must be {noun}, got {value!r}") from None
    if number < minimum or number != number:  # the second test rejects NaN
        raise ConfigError(f"{name} must be at least {minimum}, got {value!r}")
    return number


def parse_thresholds(event: dict[str, Any], environ: dict[str, str]) -> Thresholds:
    """Price and age limits: event key, else env var, else the default."""
    values: dict[str, Any] = {}
    for attribute, (key, env, kind, minimum) in THRESHOLD_SOURCES.items():
        if event.get(key) is not None:
            values[attribute] = parse_number(event[key], f'event key "{key}"', kind, minimum)
        elif environ.get(env, "").strip():
            values[attribute] = parse_number(environ[env], f"env var {env}", kind, minimum)
    return Thresholds(**values)


def report_s3_uri(environ: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(bucket, key prefix) from REPORT_S3_URI (s3://bucket/prefix/), or None when unset."""
    environ = os.environ if environ is None else environ
    uri = environ.get(REPORT_S3_URI_ENV, "").strip()
    if not uri:
        return None
    match = re.fullmatch(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?", uri)
    if not match:
        raise ConfigError(f"{REPORT_S3_URI_ENV} must look like s3://bucket/prefix/, got {uri!r}")
    prefix = (match.group(2) or "/").lstrip("/")
    return match.group(1), prefix if not prefix or prefix.endswith("/") else prefix + "/"


def load_email(environ: dict[str, str] | None = None) -> str:
    """The account's contact address from EMAIL, shown in the report header."""
    environ = os.environ if environ is None else environ
    email = environ.get(EMAIL_ENV, "").strip()
    if not email:
        raise ConfigError(f"{EMAIL_ENV} is not set: set it to the address shown as the report's account")
    if not EMAIL_PATTERN.match(email):
        raise ConfigError(f"{EMAIL_ENV} is not an email address: {email!r}")
    return email

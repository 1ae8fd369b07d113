"""Every setting of a run, from env vars and the invocation event, checked before any AWS call.

An event key beats the env var, which beats the default.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlsplit

from ecr_usage_report.analysis.rules import Thresholds
from ecr_usage_report.aws.regions import RegionError, validate_regions

EMAIL_ENV = "EMAIL"
WEBHOOK_ENV = "SLACK_DDPS"
REGIONS_ENV = "REGIONS"
REPORT_S3_URI_ENV = "REPORT_S3_URI"
MAX_WORKERS_ENV = "MAX_WORKERS"
EVENT_REGIONS = "regions"
EVENT_DRY_RUN = "dry_run"
# threshold attribute -> (event key, env var, parse as, smallest allowed value)
THRESHOLD_SOURCES = {
    "price_per_gb_month": ("price_per_gb_month", "ECR_PRICE_PER_GB_MONTH", float, 0.0),
    "unused_days": ("unused_days", "UNUSED_DAYS", int, 1),
    "idle_days": ("idle_days", "IDLE_DAYS", int, 1),
    "archive_price_per_gb_month": ("archive_price_per_gb_month", "ECR_ARCHIVE_PRICE_PER_GB_MONTH", float, 0.0),
}
DEFAULT_MAX_WORKERS = 48  # AWS calls in flight at once, a paced call waiting for its token among them
MAX_WORKERS_LIMIT = 64
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
S3_URI_PATTERN = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?")
TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}


class ConfigError(ValueError):
    """An env var or event key that is missing or malformed; the message names it."""


class SlackConfigError(ConfigError):
    """SLACK_DDPS is missing or is not a webhook URL (the value itself is never shown)."""


@dataclass(frozen=True)
class Settings:
    """What one run was asked to do."""

    email: str
    regions: list[str] | None  # None: every enabled region
    dry_run: bool
    webhook_url: str | None  # None on a dry run, which needs none
    report_s3: tuple[str, str] | None  # (bucket, key prefix)
    workers: int = DEFAULT_MAX_WORKERS
    thresholds: Thresholds = field(default_factory=Thresholds)


def load(event: Any, environ: Mapping[str, str] | None = None) -> Settings:
    """Every setting of the run (None, {}, console test and EventBridge events all run).

    Raises:
        ConfigError: a setting is missing or malformed; nothing was asked of AWS.
    """
    environ = os.environ if environ is None else environ
    if event is None:
        event = {}
    if not isinstance(event, dict):
        raise ConfigError(f"The event must be a JSON object or null, got {type(event).__name__}")
    dry_run = parse_bool(event.get(EVENT_DRY_RUN, False), f'event key "{EVENT_DRY_RUN}"')
    thresholds = parse_thresholds(event, environ)
    email = load_email(environ)
    webhook = None if dry_run else webhook_url(environ)
    regions = load_regions(event, environ)
    return Settings(email, regions, dry_run, webhook, report_s3_uri(environ), max_workers(environ), thresholds)


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


def load_regions(event: dict[str, Any], environ: Mapping[str, str]) -> list[str] | None:
    """The regions asked for (event key, else REGIONS), checked against botocore's; None: every enabled one."""
    if event.get(EVENT_REGIONS) is not None:
        names = parse_region_list(event[EVENT_REGIONS], f'event key "{EVENT_REGIONS}"')
    elif environ.get(REGIONS_ENV, "").strip():
        names = parse_region_list(environ[REGIONS_ENV], f"env var {REGIONS_ENV}")
    else:
        return None
    try:
        return validate_regions(names)
    except RegionError as exc:
        raise ConfigError(str(exc)) from None


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


def parse_thresholds(event: dict[str, Any], environ: Mapping[str, str]) -> Thresholds:
    """Price and age limits: event key, else env var, else the default."""
    values: dict[str, Any] = {}
    for attribute, (key, env, kind, minimum) in THRESHOLD_SOURCES.items():
        if event.get(key) is not None:
            values[attribute] = parse_number(event[key], f'event key "{key}"', kind, minimum)
        elif environ.get(env, "").strip():
            values[attribute] = parse_number(environ[env], f"env var {env}", kind, minimum)
    return Thresholds(**values)


def report_s3_uri(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(bucket, key prefix) from REPORT_S3_URI (s3://bucket/prefix/), or None when unset."""
    uri = environ.get(REPORT_S3_URI_ENV, "").strip()
    if not uri:
        return None
    match = S3_URI_PATTERN.fullmatch(uri)
    if not match:
        raise ConfigError(f"{REPORT_S3_URI_ENV} must look like s3://bucket/prefix/, got {uri!r}")
    prefix = (match.group(2) or "/").lstrip("/")
    return match.group(1), prefix if not prefix or prefix.endswith("/") else prefix + "/"


def load_email(environ: Mapping[str, str]) -> str:
    """The account's contact address from EMAIL, shown in the report header."""
    email = environ.get(EMAIL_ENV, "").strip()
    if not email:
        raise ConfigError(f"{EMAIL_ENV} is not set: set it to the address shown as the report's account")
    if not EMAIL_PATTERN.match(email):
        raise ConfigError(f"{EMAIL_ENV} is not an email address: {email!r}")
    return email


def webhook_url(environ: Mapping[str, str] | None = None) -> str:
    """The webhook URL from SLACK_DDPS, checked (the value itself is never echoed)."""
    environ = os.environ if environ is None else environ
    url = environ.get(WEBHOOK_ENV, "").strip()
    if not url:
        raise SlackConfigError(f"{WEBHOOK_ENV} is not set: set it to the Slack incoming webhook URL")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(parts.path) < 2:
        raise SlackConfigError(
            f"{WEBHOOK_ENV} is not a webhook URL (expected https://hooks.slack.com/services/...); value not shown")
    return url


def max_workers(environ: Mapping[str, str]) -> int:
    """AWS calls in flight at once, from MAX_WORKERS (1 runs one call at a time)."""
    raw = environ.get(MAX_WORKERS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_WORKERS
    number = int(raw) if raw.isdigit() else 0
    if not 1 <= number <= MAX_WORKERS_LIMIT:
        raise ConfigError(f"{MAX_WORKERS_ENV} must be a whole number from 1 to {MAX_WORKERS_LIMIT}, got {raw!r}")
    return number

"""Configuration from env vars and the invocation event, checked with clear messages.

An event key beats the env var, which beats the default.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

EMAIL_ENV = "EMAIL"
REGIONS_ENV = "REGIONS"
EVENT_REGIONS = "regions"
EVENT_DRY_RUN = "dry_run"
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
    return RunOptions(regions=regions, dry_run=dry_run)


def load_email(environ: dict[str, str] | None = None) -> str:
    """The account's contact address from EMAIL, shown in the report header."""
    environ = os.environ if environ is None else environ
    email = environ.get(EMAIL_ENV, "").strip()
    if not email:
        raise ConfigError(f"{EMAIL_ENV} is not set: set it to the address shown as the report's account")
    if not EMAIL_PATTERN.match(email):
        raise ConfigError(f"{EMAIL_ENV} is not an email address: {email!r}")
    return email

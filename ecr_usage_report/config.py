"""Every setting of a run, from env vars and the invocation event, checked before any AWS call.

An event key beats the env var, which beats the default (`setting.choice`); the Slack settings
are deliver/slack_settings.py's.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Mapping

from ecr_usage_report.analysis.rules import Thresholds
from ecr_usage_report.aws.accounts import (ACCOUNT_ID_PATTERN, DEFAULT_ROLE, LISTED, ORGANIZATION, ROLE_NAME_PATTERN,
                                          THIS, AccountSettings)
from ecr_usage_report.aws.regions import RegionError, validate_regions
from ecr_usage_report.deliver.slack_settings import SlackSettings, load_slack
from ecr_usage_report.inventory.kinds import KINDS, ConsumerSettings
from ecr_usage_report.redaction import clipped
from ecr_usage_report.setting import SHOWN_CHARS, ConfigError, choice, parse_bool, parse_number, shown
from ecr_usage_report.steps import EVENT_KEYS as STEP_KEYS, Step, parse_step

__all__ = ["ConfigError", "DEFAULT_MAX_WORKERS", "Settings", "dry_run_of", "load", "max_workers"]

EMAIL_ENV = "EMAIL"
REGIONS_ENV = "REGIONS"
REPORT_S3_URI_ENV = "REPORT_S3_URI"
MAX_WORKERS_ENV = "MAX_WORKERS"
EVENT_REGIONS = "regions"
EVENT_DRY_RUN = "dry_run"
CONSUMER_KINDS_ENV = "CONSUMER_KINDS"
EVENT_CONSUMER_KINDS = "consumer_kinds"
EVENT_MESSAGES = "slack_messages"
ACCOUNTS_ENV, EVENT_ACCOUNTS = "ACCOUNTS", "accounts"
ACCOUNT_ROLE_ENV, EVENT_ACCOUNT_ROLE = "ACCOUNT_ROLE", "account_role"
ALL_KINDS, NO_KINDS = "all", "none"
# rollback attribute -> (event key, env var, most allowed); ListTaskDefinitions gives at most 100 a call
ROLLBACK_SOURCES = {
    "ecs_rollback_revisions": ("ecs_rollback_revisions", "ECS_ROLLBACK_REVISIONS", 100),
    "lambda_rollback_versions": ("lambda_rollback_versions", "LAMBDA_ROLLBACK_VERSIONS", 100),
}
# threshold attribute -> (event key, env var, parse as, smallest and largest allowed value);
# the bounds keep every date and cost computed from them valid
THRESHOLD_SOURCES = {
    "price_per_gb_month": ("price_per_gb_month", "ECR_PRICE_PER_GB_MONTH", float, 0.0, 1000.0),
    "unused_days": ("unused_days", "UNUSED_DAYS", int, 0, 36_500),
    "idle_days": ("idle_days", "IDLE_DAYS", int, 0, 36_500),
    "archive_price_per_gb_month": ("archive_price_per_gb_month", "ECR_ARCHIVE_PRICE_PER_GB_MONTH", float, 0.0, 1000.0),
}
EVENT_KEYS = frozenset({EVENT_REGIONS, EVENT_DRY_RUN, EVENT_MESSAGES, EVENT_CONSUMER_KINDS, EVENT_ACCOUNTS,
                        EVENT_ACCOUNT_ROLE,
                        *(key for key, *_ in THRESHOLD_SOURCES.values()),
                        *(key for key, *_ in ROLLBACK_SOURCES.values()), *STEP_KEYS})
# Keys of the events that run the report without asking anything: an EventBridge schedule's, and
# the Lambda console's default test event's.
IGNORED_EVENT_KEYS = frozenset({"version", "id", "detail-type", "source", "account", "time", "region",
                                "resources", "detail", "key1", "key2", "key3"})
DEFAULT_MAX_WORKERS = 48  # AWS calls in flight at once, a paced call waiting for its token among them
MAX_WORKERS_LIMIT = 64
# An address and nothing else: no spaces, and none of Slack's reserved <, > and & (it is shown in the summary).
EMAIL_PATTERN = re.compile(r"[\w.!#$%'*+/=?^`{|}~-]+@[\w-]+(\.[\w-]+)+")
S3_URI_PATTERN = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?")
NO_ENV: Mapping[str, str] = {}


@dataclass(frozen=True)
class Settings:
    """What one run was asked to do."""

    email: str
    regions: list[str] | None  # None: every enabled region
    dry_run: bool
    slack: SlackSettings | None  # None on a dry run, which posts nothing
    report_s3: tuple[str, str] | None  # (bucket, key prefix)
    workers: int = DEFAULT_MAX_WORKERS
    thresholds: Thresholds = field(default_factory=Thresholds)
    consumers: ConsumerSettings = field(default_factory=ConsumerSettings)
    accounts: AccountSettings = field(default_factory=AccountSettings)
    step: Step | None = None  # a step of the scale-out (steps.py); None: the whole report in one invocation


def dry_run_of(event: Any) -> bool:
    """Whether the event asks for a dry run (False for an event that is not an object: `load` names that).

    Raises:
        ConfigError: its dry_run is not a boolean.
    """
    return isinstance(event, dict) and choice(event, NO_ENV, EVENT_DRY_RUN, None, parse_bool, False)


def load(event: Any, dry_run: bool, environ: Mapping[str, str] | None = None) -> Settings:
    """Every setting of the run (None, {}, console test and EventBridge events all run); `dry_run`
    is `dry_run_of(event)`, read first as it decides whether a failure is posted.

    Raises:
        ConfigError: a setting is missing or malformed; nothing was asked of AWS.
    """
    environ = os.environ if environ is None else environ
    if event is None:
        event = {}
    if not isinstance(event, dict):
        raise ConfigError(f"The event must be a JSON object or null, got {type(event).__name__}")
    unknown = sorted(str(key) for key in event if key not in EVENT_KEYS | IGNORED_EVENT_KEYS)
    if unknown:
        raise ConfigError(f"Unknown event key {shown(unknown[0])}: the known keys are {', '.join(sorted(EVENT_KEYS))}")
    thresholds = load_thresholds(event, environ)
    consumers = load_consumers(event, environ)
    email = choice(event, environ, None, EMAIL_ENV, parse_email, None)
    if email is None:
        raise ConfigError(f"{EMAIL_ENV} is not set: set it to the address shown as the report's account")
    slack = None if dry_run else load_slack(event, environ)
    regions = choice(event, environ, EVENT_REGIONS, REGIONS_ENV, parse_regions, None)
    report_s3 = choice(event, environ, None, REPORT_S3_URI_ENV, parse_s3_uri, None)
    accounts, step = load_accounts(event, environ), parse_step(event)
    if step is not None and not (accounts.several and report_s3):
        raise ConfigError("The scale-out's steps need ACCOUNTS (organization, or account ids) and REPORT_S3_URI"
                          " (where each account's inventory is kept until the report)")
    return Settings(email, regions, dry_run, slack, report_s3, max_workers(environ), thresholds, consumers,
                    accounts, step)


def load_accounts(event: dict[str, Any], environ: Mapping[str, str]) -> AccountSettings:
    """ACCOUNTS and ACCOUNT_ROLE: event key, else env var, else this account alone and the default role."""
    scope, listed = choice(event, environ, EVENT_ACCOUNTS, ACCOUNTS_ENV, parse_accounts, (THIS, ()))
    role = choice(event, environ, EVENT_ACCOUNT_ROLE, ACCOUNT_ROLE_ENV, parse_role, DEFAULT_ROLE)
    return AccountSettings(scope, listed, role)


def parse_accounts(value: Any, name: str) -> tuple[str, tuple[str, ...]]:
    """`organization`, or account ids (a list, or comma-separated text); an empty list is this account alone."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f'{name} must be "{ORGANIZATION}" or 12-digit account ids separated by commas,'
                          f" got {shown(value)}")
    words = [item.strip() for item in value if item.strip()]
    if not words:
        return THIS, ()
    if [word.lower() for word in words] == [ORGANIZATION]:
        return ORGANIZATION, ()
    wrong = [word for word in words if not ACCOUNT_ID_PATTERN.fullmatch(word)]
    if wrong:
        raise ConfigError(f'{name} must be "{ORGANIZATION}" or 12-digit account ids separated by commas,'
                          f" got {shown(wrong[0])}")
    return LISTED, tuple(dict.fromkeys(words))


def parse_role(value: Any, name: str) -> str:
    """The name (not the ARN) of the role assumed in every other account."""
    role = value.strip() if isinstance(value, str) else value
    if not isinstance(role, str) or not ROLE_NAME_PATTERN.fullmatch(role):
        raise ConfigError(f"{name} must be an IAM role's name (letters, digits and +=,.@_-, at most 64), e.g."
                          f" {DEFAULT_ROLE}, got {shown(value)}")
    return role


def number(kind: type, minimum: float, maximum: float, value: Any, name: str) -> float:
    """parse_number with its bounds first, for partial()."""
    return parse_number(value, name, kind, minimum, maximum)


def parse_region_list(value: Any, name: str) -> list[str]:
    """A list of region names, or a comma-separated string of them."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f'{name} must be a list of region names, e.g. ["ap-northeast-2"], got {shown(value)}')
    names = [item.strip() for item in value if item.strip()]
    if not names:
        raise ConfigError(f"{name} names no region")
    return names


def parse_regions(value: Any, name: str) -> list[str]:
    """The regions asked for, checked against botocore's (no AWS call)."""
    try:
        return validate_regions(parse_region_list(value, name))
    except RegionError as exc:
        raise ConfigError(str(exc)) from None


def load_thresholds(event: dict[str, Any], environ: Mapping[str, str]) -> Thresholds:
    """Price and age limits: event key, else env var, else the default."""
    defaults = Thresholds()
    return Thresholds(**{attribute: choice(event, environ, key, env, partial(number, kind, low, high),
                                           getattr(defaults, attribute))
                         for attribute, (key, env, kind, low, high) in THRESHOLD_SOURCES.items()})


def parse_kinds(value: Any, name: str) -> frozenset[str]:
    """Consumer kinds: a list of them or comma-separated text; `all` or `none` alone."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f'{name} must be a list of consumer kinds, e.g. ["ecs", "eks"], got {shown(value)}')
    words = [item.strip().lower() for item in value if item.strip()]
    if words in ([ALL_KINDS], [NO_KINDS]):
        return frozenset(KINDS) if words == [ALL_KINDS] else frozenset()
    unknown = [word for word in words if word not in KINDS]
    if unknown or not words:
        named = clipped(", ".join(unknown), SHOWN_CHARS)
        what = f"unknown consumer kind(s) {named}" if unknown else "no consumer kind"
        raise ConfigError(f"{name} names {what}: use {ALL_KINDS}, {NO_KINDS}, or some of {', '.join(KINDS)}")
    return frozenset(words)


def load_consumers(event: dict[str, Any], environ: Mapping[str, str]) -> ConsumerSettings:
    """The consumer kinds to read and their rollback depths: event key, else env var, else the default."""
    defaults = ConsumerSettings()
    values: dict[str, Any] = {"kinds": choice(event, environ, EVENT_CONSUMER_KINDS, CONSUMER_KINDS_ENV, parse_kinds,
                                              defaults.kinds)}
    for attribute, (key, env, most) in ROLLBACK_SOURCES.items():
        values[attribute] = int(choice(event, environ, key, env, partial(number, int, 0, most),
                                       getattr(defaults, attribute)))
    return ConsumerSettings(**values)


def parse_s3_uri(value: str, _name: str) -> tuple[str, str]:
    """(bucket, key prefix) from s3://bucket/prefix/."""
    uri = value.strip()
    match = S3_URI_PATTERN.fullmatch(uri)
    if not match:
        raise ConfigError(f"{REPORT_S3_URI_ENV} must look like s3://bucket/prefix/, got {shown(uri)}")
    prefix = (match.group(2) or "/").lstrip("/")
    return match.group(1), prefix if not prefix or prefix.endswith("/") else prefix + "/"


def parse_email(value: str, _name: str) -> str:
    """The account's contact address, shown in the report header."""
    email = value.strip()
    if not EMAIL_PATTERN.fullmatch(email):
        raise ConfigError(f"{EMAIL_ENV} is not an email address: {shown(email)}")
    return email


def parse_workers(value: str, _name: str) -> int:
    """AWS calls in flight at once (1 runs one call at a time)."""
    raw = value.strip()
    workers = int(raw) if raw.isdigit() else 0
    if not 1 <= workers <= MAX_WORKERS_LIMIT:
        raise ConfigError(f"{MAX_WORKERS_ENV} must be a whole number from 1 to {MAX_WORKERS_LIMIT}, got {shown(raw)}")
    return workers


def max_workers(environ: Mapping[str, str]) -> int:
    """AWS calls in flight at once, from MAX_WORKERS."""
    return choice(NO_ENV, environ, None, MAX_WORKERS_ENV, parse_workers, DEFAULT_MAX_WORKERS)

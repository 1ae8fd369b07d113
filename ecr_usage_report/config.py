"""Every setting of a run, from env vars and the invocation event, checked before any AWS call.

An event key beats the env var, which beats the default.
"""
from __future__ import annotations

import ipaddress
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlsplit

import requests

from ecr_usage_report.analysis.rules import Thresholds
from ecr_usage_report.aws.regions import RegionError, validate_regions
from ecr_usage_report.inventory.kinds import KINDS, ConsumerSettings
from ecr_usage_report.redaction import register_secret, register_url

EMAIL_ENV = "EMAIL"
WEBHOOK_ENV = "SLACK_DDPS"
REGIONS_ENV = "REGIONS"
REPORT_S3_URI_ENV = "REPORT_S3_URI"
MAX_WORKERS_ENV = "MAX_WORKERS"
BOT_TOKEN_ENV = "SLACK_BOT_TOKEN"
CHANNEL_ENV = "SLACK_CHANNEL"
API_URL_ENV = "SLACK_API_URL"
DEFAULT_API_URL = "https://slack.com/api/"
MESSAGES_ENV = "SLACK_MESSAGES"
EVENT_REGIONS = "regions"
EVENT_DRY_RUN = "dry_run"
EVENT_MESSAGES = "slack_messages"
FULL, SUMMARY = "full", "summary"  # summary and details, or the summary alone
CONSUMER_KINDS_ENV = "CONSUMER_KINDS"
EVENT_CONSUMER_KINDS = "consumer_kinds"
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
EVENT_KEYS = frozenset({EVENT_REGIONS, EVENT_DRY_RUN, EVENT_MESSAGES, EVENT_CONSUMER_KINDS,
                        *(key for key, *_ in THRESHOLD_SOURCES.values()),
                        *(key for key, *_ in ROLLBACK_SOURCES.values())})
# Keys of the events that run the report without asking anything: an EventBridge schedule's, and
# the Lambda console's default test event's.
IGNORED_EVENT_KEYS = frozenset({"version", "id", "detail-type", "source", "account", "time", "region",
                                "resources", "detail", "key1", "key2", "key3"})
SHOWN_CHARS = 80  # a bad value is echoed cut to this, so one error stays one line
DEFAULT_MAX_WORKERS = 48  # AWS calls in flight at once, a paced call waiting for its token among them
MAX_WORKERS_LIMIT = 64
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
S3_URI_PATTERN = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?")
# A value that names where the secret is kept: a Secrets Manager secret or an SSM parameter.
SECRET_REFERENCE = re.compile(r"arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+"
                              r"|ssm:[a-z0-9-]+:\d{12}:parameter/[\w/.-]+)")
CHANNEL_PATTERN = re.compile(r"#?[\w.-]{1,80}")
BOT_TOKEN_PATTERN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+")  # Slack's bot, user and app tokens
TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}


class ConfigError(ValueError):
    """An env var or event key that is missing or malformed; the message names it."""


class SlackConfigError(ConfigError):
    """A Slack setting is missing or malformed (a secret's value is never shown)."""


@dataclass(frozen=True)
class SlackSettings:
    """Where the report goes: a webhook, or a bot's channel (the secrets may be ARNs of where they are kept)."""

    webhook: str | None = field(repr=False)  # SLACK_DDPS: the URL or its secret's ARN
    bot_token: str | None = field(repr=False)  # SLACK_BOT_TOKEN: the token or its secret's ARN; set, the bot posts
    channel: str | None
    api_url: str
    messages: str  # FULL or SUMMARY

    @property
    def as_bot(self) -> bool:
        return self.bot_token is not None


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


def shown(value: Any) -> str:
    """A given value as an error message echoes it: its repr, cut to SHOWN_CHARS."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "..."


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
    unknown = sorted(str(key) for key in event if key not in EVENT_KEYS | IGNORED_EVENT_KEYS)
    if unknown:
        raise ConfigError(f"Unknown event key {shown(unknown[0])}: the known keys are {', '.join(sorted(EVENT_KEYS))}")
    dry_run = parse_bool(event.get(EVENT_DRY_RUN, False), f'event key "{EVENT_DRY_RUN}"')
    thresholds = parse_thresholds(event, environ)
    consumers = load_consumers(event, environ)
    email = load_email(environ)
    slack = None if dry_run else load_slack(event, environ)
    regions = load_regions(event, environ)
    return Settings(email, regions, dry_run, slack, report_s3_uri(environ), max_workers(environ), thresholds,
                    consumers)


def dry_run_asked(event: Any) -> bool:
    """Whether the event asks for a dry run, as far as it can be read (a failed run posts nothing then);
    a dry_run value that is not a boolean counts as asking, so its own error is not posted."""
    try:
        return isinstance(event, dict) and parse_bool(event.get(EVENT_DRY_RUN, False), EVENT_DRY_RUN)
    except ConfigError:
        return True


def parse_bool(value: Any, name: str) -> bool:
    """A strict boolean: true/false (or 1/0, yes/no as text); anything else is an error."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise ConfigError(f"{name} must be true or false, got {shown(value)}")


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


def parse_number(value: Any, name: str, kind: type, minimum: float, maximum: float) -> float:
    """A finite number of the given kind from `minimum` to `maximum`; text is accepted and parsed."""
    noun = "a whole number" if kind is int else "a number"
    if isinstance(value, bool) or (kind is int and isinstance(value, float)):
        raise ConfigError(f"{name} must be {noun}, got {shown(value)}")
    try:
        number = kind(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{name} must be {noun}, got {shown(value)}") from None
    if not (math.isfinite(number) and minimum <= number <= maximum):
        raise ConfigError(f"{name} must be {noun} from {minimum:g} to {maximum:g}, got {shown(value)}")
    return number + 0  # -0.0 becomes 0.0


def parse_thresholds(event: dict[str, Any], environ: Mapping[str, str]) -> Thresholds:
    """Price and age limits: event key, else env var, else the default."""
    values: dict[str, Any] = {}
    for attribute, (key, env, kind, minimum, maximum) in THRESHOLD_SOURCES.items():
        if event.get(key) is not None:
            values[attribute] = parse_number(event[key], f'event key "{key}"', kind, minimum, maximum)
        elif environ.get(env, "").strip():
            values[attribute] = parse_number(environ[env], f"env var {env}", kind, minimum, maximum)
    return Thresholds(**values)


def parse_kinds(value: Any, name: str) -> frozenset[str]:
    """Consumer kinds: a list of them or comma-separated text; `all` or `none` alone."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f'{name} must be a list of consumer kinds, e.g. ["ecs", "eks"], got {value!r}')
    words = [item.strip().lower() for item in value if item.strip()]
    if words in ([ALL_KINDS], [NO_KINDS]):
        return frozenset(KINDS) if words == [ALL_KINDS] else frozenset()
    unknown = [word for word in words if word not in KINDS]
    if unknown or not words:
        raise ConfigError(f"{name} names unknown consumer kind(s) {', '.join(unknown) or '(none)'}: use {ALL_KINDS}, "
                          f"{NO_KINDS}, or some of {', '.join(KINDS)}")
    return frozenset(words)


def load_consumers(event: dict[str, Any], environ: Mapping[str, str]) -> ConsumerSettings:
    """The consumer kinds to read and their rollback depths: event key, else env var, else the default."""
    values: dict[str, Any] = {}
    if event.get(EVENT_CONSUMER_KINDS) is not None:
        values["kinds"] = parse_kinds(event[EVENT_CONSUMER_KINDS], f'event key "{EVENT_CONSUMER_KINDS}"')
    elif environ.get(CONSUMER_KINDS_ENV, "").strip():
        values["kinds"] = parse_kinds(environ[CONSUMER_KINDS_ENV], f"env var {CONSUMER_KINDS_ENV}")
    for attribute, (key, env, most) in ROLLBACK_SOURCES.items():
        if event.get(key) is not None:
            name, raw = f'event key "{key}"', event[key]
        elif environ.get(env, "").strip():
            name, raw = f"env var {env}", environ[env]
        else:
            continue
        values[attribute] = int(parse_number(raw, name, int, 0, most))
    return ConsumerSettings(**values)


def report_s3_uri(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(bucket, key prefix) from REPORT_S3_URI (s3://bucket/prefix/), or None when unset."""
    uri = environ.get(REPORT_S3_URI_ENV, "").strip()
    if not uri:
        return None
    match = S3_URI_PATTERN.fullmatch(uri)
    if not match:
        raise ConfigError(f"{REPORT_S3_URI_ENV} must look like s3://bucket/prefix/, got {shown(uri)}")
    prefix = (match.group(2) or "/").lstrip("/")
    return match.group(1), prefix if not prefix or prefix.endswith("/") else prefix + "/"


def load_email(environ: Mapping[str, str]) -> str:
    """The account's contact address from EMAIL, shown in the report header."""
    email = environ.get(EMAIL_ENV, "").strip()
    if not email:
        raise ConfigError(f"{EMAIL_ENV} is not set: set it to the address shown as the report's account")
    if not EMAIL_PATTERN.match(email):
        raise ConfigError(f"{EMAIL_ENV} is not an email address: {shown(email)}")
    return email


def is_loopback(host: str) -> bool:
    """localhost, or an address of the loopback range (127.0.0.0/8, ::1)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_secret_reference(value: str) -> bool:
    """Whether a setting holds the ARN of a Secrets Manager secret or SSM parameter, not the value."""
    return SECRET_REFERENCE.fullmatch(value) is not None


def checked_url(url: str, name: str, example: str) -> str:
    """A URL that is https:// (http:// to a loopback host only) with a host and a path; a bad one
    is named without its value, as a webhook's path and query are its secret."""
    not_a_url = SlackConfigError(f"{name} is not a URL like {example}; value not shown")
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # .port raises on a port that is not a number
    except ValueError:
        raise not_a_url from None
    if parts.scheme not in ("https", "http") or not host or len(parts.path) < 2:
        raise not_a_url
    if parts.scheme == "http" and not is_loopback(host):
        raise SlackConfigError(f"{name} must start with https:// (http:// would send it in clear text);"
                               " value not shown")
    try:  # what urllib accepts, requests may still refuse to send (a stray %, a full-width dot)
        requests.Request("POST", url).prepare()
    except (requests.RequestException, ValueError):
        raise not_a_url from None
    return url


def checked_webhook(url: str) -> str:
    """A webhook URL, checked (the value of SLACK_DDPS, or of the secret it names)."""
    return checked_url(url, WEBHOOK_ENV, "https://hooks.slack.com/services/...")


def checked_token(token: str) -> str:
    """A bot token, checked (the value of SLACK_BOT_TOKEN, or of the secret it names)."""
    if not BOT_TOKEN_PATTERN.fullmatch(token):
        raise SlackConfigError(f"{BOT_TOKEN_ENV} is not a Slack bot token (xoxb-...); value not shown")
    return token


def register_slack_secrets(environ: Mapping[str, str] | None = None) -> None:
    """Treat the webhook URL and bot token given in the environment as secrets from now on, checked or not."""
    environ = os.environ if environ is None else environ
    webhook, token = environ.get(WEBHOOK_ENV, "").strip(), environ.get(BOT_TOKEN_ENV, "").strip()
    if webhook and not is_secret_reference(webhook):
        register_url(webhook)
    if token and not is_secret_reference(token):
        register_secret(token)


def webhook_url(environ: Mapping[str, str] | None = None) -> str:
    """The webhook URL in SLACK_DDPS itself, checked (not a secret's ARN)."""
    environ = os.environ if environ is None else environ
    url = environ.get(WEBHOOK_ENV, "").strip()
    if not url:
        raise SlackConfigError(f"{WEBHOOK_ENV} is not set: set it to the Slack incoming webhook URL")
    return checked_webhook(url)


def load_slack(event: dict[str, Any], environ: Mapping[str, str]) -> SlackSettings:
    """Where to post: a bot's channel when SLACK_BOT_TOKEN is set, else SLACK_DDPS's webhook."""
    messages = event.get(EVENT_MESSAGES) or environ.get(MESSAGES_ENV, "").strip() or FULL
    if messages not in (FULL, SUMMARY):
        raise ConfigError(f"{EVENT_MESSAGES if EVENT_MESSAGES in event else MESSAGES_ENV} must be"
                          f" {FULL} or {SUMMARY}, got {shown(messages)}")
    webhook = environ.get(WEBHOOK_ENV, "").strip() or None
    token = environ.get(BOT_TOKEN_ENV, "").strip() or None
    api_url = checked_url(environ.get(API_URL_ENV, "").strip() or DEFAULT_API_URL, API_URL_ENV, DEFAULT_API_URL)
    if token is None:
        if webhook is None:
            raise SlackConfigError(f"{WEBHOOK_ENV} is not set: set it to the Slack incoming webhook URL"
                                   f" (or {BOT_TOKEN_ENV} and {CHANNEL_ENV} to post as a bot)")
        return SlackSettings(webhook if is_secret_reference(webhook) else checked_webhook(webhook),
                             None, None, api_url, messages)
    channel = environ.get(CHANNEL_ENV, "").strip()
    if not CHANNEL_PATTERN.fullmatch(channel):
        raise SlackConfigError(f"{CHANNEL_ENV} must name the bot's channel (an ID such as C0123ABCD),"
                               f" got {shown(channel)}")
    if webhook is not None and not is_secret_reference(webhook):
        checked_webhook(webhook)
    return SlackSettings(webhook, token if is_secret_reference(token) else checked_token(token), channel, api_url,
                         messages)


def max_workers(environ: Mapping[str, str]) -> int:
    """AWS calls in flight at once, from MAX_WORKERS (1 runs one call at a time)."""
    raw = environ.get(MAX_WORKERS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_WORKERS
    number = int(raw) if raw.isdigit() else 0
    if not 1 <= number <= MAX_WORKERS_LIMIT:
        raise ConfigError(f"{MAX_WORKERS_ENV} must be a whole number from 1 to {MAX_WORKERS_LIMIT}, got {shown(raw)}")
    return number

"""The Slack settings, all in one place: read (event key, else env var, else default), checked,
their secrets read from where they are kept and registered for redaction, and the poster built
(an incoming webhook, or a bot posting with the Web API).

A webhook's URL and a bot's token are secrets: an error names the setting, never its value.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

import requests

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.secrets import SecretError, kept_secret
from ecr_usage_report.deliver.slack import BotChannel, Delivery, SlackPoster, Webhook
from ecr_usage_report.redaction import register_secret, register_url
from ecr_usage_report.setting import ConfigError, choice, shown

WEBHOOK_ENV = "SLACK_DDPS"
BOT_TOKEN_ENV = "SLACK_BOT_TOKEN"
CHANNEL_ENV = "SLACK_CHANNEL"
API_URL_ENV = "SLACK_API_URL"
DEFAULT_API_URL = "https://slack.com/api/"
MESSAGES_ENV = "SLACK_MESSAGES"
EVENT_MESSAGES = "slack_messages"
FULL, SUMMARY = "full", "summary"  # summary and details, or the summary alone
WEBHOOK_EXAMPLE = "https://hooks.slack.com/services/..."
# A value that names where the secret is kept: a Secrets Manager secret or an SSM parameter.
SECRET_REFERENCE = re.compile(r"arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+"
                              r"|ssm:[a-z0-9-]+:\d{12}:parameter/[\w/.-]+)")
CHANNEL_PATTERN = re.compile(r"#?[\w.-]{1,80}")
BOT_TOKEN_PATTERN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+")  # Slack's bot, user and app tokens
# A secret kept as a JSON object (the console's key/value secret) holds the value under one of these
# keys, or under its only key.
WEBHOOK_KEYS, TOKEN_KEYS = ("url", "webhook"), ("token",)


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
class SlackTarget:
    """Where to post, secrets read and checked: the webhook, or a bot's token and channel."""

    webhook: str | None = field(repr=False)
    bot_token: str | None = field(repr=False)
    channel: str | None = None
    api_url: str = DEFAULT_API_URL

    def __post_init__(self) -> None:
        keep_secret(self.webhook, is_url=True)
        keep_secret(self.bot_token)


def keep_secret(value: str | None, is_url: bool = False) -> None:
    """Treat a Slack secret (not an ARN) as a secret from now on: the one place they are registered."""
    if not value or is_secret_reference(value):
        return
    register_url(value) if is_url else register_secret(value)


def given(environ: Mapping[str, str], name: str) -> str | None:
    """An env var's value, stripped; None when unset or blank."""
    return environ.get(name, "").strip() or None


def secret_settings(environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """SLACK_DDPS and SLACK_BOT_TOKEN as given, each a value or its secret's ARN: the one place they are read."""
    environ = os.environ if environ is None else environ
    return given(environ, WEBHOOK_ENV), given(environ, BOT_TOKEN_ENV)


def register_slack_secrets(environ: Mapping[str, str] | None = None) -> None:
    """Treat the webhook URL and bot token given in the environment as secrets from now on, checked or not."""
    webhook, token = secret_settings(environ)
    keep_secret(webhook, is_url=True)
    keep_secret(token)


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
    return checked_url(url, WEBHOOK_ENV, WEBHOOK_EXAMPLE)


def checked_token(token: str) -> str:
    """A bot token, checked (the value of SLACK_BOT_TOKEN, or of the secret it names)."""
    if not BOT_TOKEN_PATTERN.fullmatch(token):
        raise SlackConfigError(f"{BOT_TOKEN_ENV} is not a Slack bot token (xoxb-...); value not shown")
    return token


def webhook_url(environ: Mapping[str, str] | None = None) -> str:
    """The webhook URL in SLACK_DDPS itself, checked (not a secret's ARN)."""
    url, _ = secret_settings(environ)
    if url is None:
        raise SlackConfigError(f"{WEBHOOK_ENV} is not set: set it to the Slack incoming webhook URL")
    keep_secret(url, is_url=True)
    return checked_webhook(url)


def failure_target(environ: Mapping[str, str] | None = None) -> SlackTarget | None:
    """SLACK_DDPS's webhook when it holds a usable URL, to post failures to, even one of reading the settings."""
    try:
        return SlackTarget(webhook_url(environ), None)
    except ConfigError:
        return None


def parse_messages(value: Any, name: str) -> str:
    """FULL or SUMMARY."""
    if value not in (FULL, SUMMARY):
        raise ConfigError(f"{name} must be {FULL} or {SUMMARY}, got {shown(value)}")
    return value


def load_slack(event: Mapping[str, Any], environ: Mapping[str, str]) -> SlackSettings:
    """Where to post: a bot's channel when SLACK_BOT_TOKEN is set, else SLACK_DDPS's webhook.

    Raises:
        ConfigError: a Slack setting is missing or malformed.
    """
    messages = choice(event, environ, EVENT_MESSAGES, MESSAGES_ENV, parse_messages, FULL)
    webhook, token = secret_settings(environ)
    api_url = checked_url(given(environ, API_URL_ENV) or DEFAULT_API_URL, API_URL_ENV, DEFAULT_API_URL)
    if token is None:
        if webhook is None:
            raise SlackConfigError(f"{WEBHOOK_ENV} is not set: set it to the Slack incoming webhook URL"
                                   f" (or {BOT_TOKEN_ENV} and {CHANNEL_ENV} to post as a bot)")
        return SlackSettings(webhook if is_secret_reference(webhook) else checked_webhook(webhook),
                             None, None, api_url, messages)
    channel = given(environ, CHANNEL_ENV) or ""
    if not CHANNEL_PATTERN.fullmatch(channel):
        raise SlackConfigError(f"{CHANNEL_ENV} must name the bot's channel (an ID such as C0123ABCD),"
                               f" got {shown(channel)}")
    if webhook is not None and not is_secret_reference(webhook):
        checked_webhook(webhook)
    return SlackSettings(webhook, token if is_secret_reference(token) else checked_token(token), channel, api_url,
                         messages)


def held_value(text: str, arn: str, keys: tuple[str, ...]) -> str:
    """A kept secret's value: its text, or from a JSON object, the value under one of `keys` or its only key.

    Raises:
        SlackConfigError: an object without such a text value, naming the secret (never its value).
    """
    if not text.startswith("{"):
        return text
    try:
        held = json.loads(text)
    except ValueError:
        held = None
    found = [held[key] for key in keys if key in held] if isinstance(held, dict) else []
    if isinstance(held, dict) and not found and len(held) == 1:
        found = list(held.values())
    if not found or not isinstance(found[0], str):
        raise SlackConfigError(f"the secret {arn} holds JSON without a text value under {' or '.join(keys)}"
                               " (or under its only key): keep the value there as text, or under one of those keys")
    return found[0].strip()


def resolved(clients: ClientFactory, value: str | None, keys: tuple[str, ...], check: Callable[[str], str],
             what: str) -> str | None:
    """A setting's value checked: itself, or what its ARN names (read once per container), a bad one
    named by the secret's ARN, never by its value."""
    if value is None or not is_secret_reference(value):
        return value and check(value)
    try:
        held = held_value(kept_secret(clients, value), value, keys)
    except SecretError as exc:
        raise SlackConfigError(str(exc)) from None
    keep_secret(held, is_url=check is checked_webhook)  # before checking it, so its error cannot show it
    try:
        return check(held)
    except SlackConfigError:
        raise SlackConfigError(f"the secret {value} does not hold {what}; value not shown") from None


def slack_target(clients: ClientFactory, slack: SlackSettings) -> SlackTarget:
    """The Slack settings with their secrets read from where they are kept, and checked.

    Raises:
        ConfigError: a secret's value is malformed or missing.
        AWS_ERRORS: a secret could not be read.
    """
    webhook = resolved(clients, slack.webhook, WEBHOOK_KEYS, checked_webhook,
                       f"a Slack webhook URL ({WEBHOOK_EXAMPLE})")
    if not slack.as_bot:
        return SlackTarget(webhook, None, None, slack.api_url)
    token = resolved(clients, slack.bot_token, TOKEN_KEYS, checked_token, "a Slack bot token (xoxb-...)")
    return SlackTarget(webhook, token, slack.channel, slack.api_url)


def ways(target: SlackTarget | None) -> list[tuple[str, SlackTarget]]:
    """Every way to Slack a target has, named, the bot first: a failure notice tries each in turn."""
    if target is None:
        return []
    found = [("the bot", target)] if target.bot_token else []
    return found + ([("the webhook", SlackTarget(target.webhook, None))] if target.webhook else [])


def poster(target: SlackTarget, delivery: Delivery | None = None, time_left: float | None = None,
           **timing: Any) -> SlackPoster:
    """The webhook or the bot, whose retries stop once `time_left` seconds from now have passed."""
    deadline = None if time_left is None else timing.get("clock", time.monotonic)() + time_left
    if target.bot_token:
        return BotChannel(target.bot_token, target.channel, target.api_url, delivery, deadline=deadline, **timing)
    return Webhook(target.webhook, delivery, deadline=deadline, **timing)

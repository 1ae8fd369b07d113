"""Slack's secrets read from where they are kept: a Secrets Manager secret or an SSM SecureString.

A secret is read once per container (warm invocations reuse it) and is never logged: its value
is registered with the redaction before anything can print it.
"""
from __future__ import annotations

import threading

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.config import SlackConfigError, is_secret_reference
from ecr_usage_report.redaction import forget_fragments, register_secret, register_url

_values: dict[str, str] = {}
_lock = threading.Lock()


def read_secret(clients: ClientFactory, arn: str) -> str:
    """The value kept at a secret's or parameter's ARN (in the ARN's region); raises AWS errors, and
    SlackConfigError for a secret that holds no text."""
    service, region = arn.split(":")[2:4]
    if service == "secretsmanager":
        value = clients.get("secretsmanager", region).get_secret_value(SecretId=arn).get("SecretString")
        if value is None:
            raise SlackConfigError(f"the secret {arn} holds no SecretString (a binary secret?): keep the"
                                   " value there as text")
        return value
    return clients.get("ssm", region).get_parameter(Name=arn, WithDecryption=True)["Parameter"]["Value"]


def resolved(clients: ClientFactory, value: str | None, is_url: bool = False) -> str | None:
    """A setting's value: itself, or what its ARN names, read on first use and kept for the container."""
    if value is None or not is_secret_reference(value):
        return value
    with _lock:
        known = _values.get(value)
    if known is None:
        known = read_secret(clients, value).strip()
        with _lock:
            _values[value] = known
    register_url(known) if is_url else register_secret(known)
    return known


def forget_secrets() -> None:
    """Forget the values read and what redaction knows (tests; a new container starts with none)."""
    with _lock:
        _values.clear()
    forget_fragments()

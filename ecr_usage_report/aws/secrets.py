"""Values read from where they are kept: a Secrets Manager secret or an SSM SecureString.

A value is read once per container (warm invocations reuse it). What it is a secret of, and
keeping it out of logs, is the caller's: botocore never logs an answer's body.
"""
from __future__ import annotations

import threading

from ecr_usage_report.aws.clients import ClientFactory

_values: dict[str, str] = {}
_lock = threading.Lock()


class SecretError(ValueError):
    """A secret that holds no usable value; the message names it (never its value)."""


def read_secret(clients: ClientFactory, arn: str) -> str:
    """The value kept at a secret's or parameter's ARN (in the ARN's region).

    Raises:
        SecretError: a Secrets Manager secret that holds no text.
        AWS_ERRORS: the read failed.
    """
    service, region = arn.split(":")[2:4]
    if service == "secretsmanager":
        value = clients.get("secretsmanager", region).get_secret_value(SecretId=arn).get("SecretString")
        if value is None:
            raise SecretError(f"the secret {arn} holds no SecretString (a binary secret?): keep the value there"
                              " as text")
        return value
    return clients.get("ssm", region).get_parameter(Name=arn, WithDecryption=True)["Parameter"]["Value"]


def kept_secret(clients: ClientFactory, arn: str) -> str:
    """The value at an ARN, stripped: read on first use and kept for the container."""
    with _lock:
        known = _values.get(arn)
    if known is None:
        known = read_secret(clients, arn).strip()
        with _lock:
            _values[arn] = known
    return known


def forget_secrets() -> None:
    """Forget the values read (tests; a new container starts with none)."""
    with _lock:
        _values.clear()

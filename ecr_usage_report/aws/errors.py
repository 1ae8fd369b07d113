"""AWS failures as short, readable messages."""
from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

AWS_ERRORS = (ClientError, BotoCoreError)


def error_code(exc: Exception) -> str:
    """The AWS error code of a ClientError, else ''."""
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", "")
    return ""


def error_message(exc: Exception) -> str:
    """`Code: message` for AWS errors, the exception text otherwise."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "Error")
        message = error.get("Message") or str(exc)
        return f"{code}: {message}"
    return f"{type(exc).__name__}: {exc}"

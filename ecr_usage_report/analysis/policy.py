"""What the policy readers share (pure): a policy that cannot be read is named with its reason, never guessed."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PolicyError:
    """A policy text that could not be read, and why, in one line."""

    reason: str


def load(policy_text: str | None) -> dict[str, Any] | PolicyError:
    """The policy document as a JSON object, or why it is not one."""
    if not isinstance(policy_text, str):
        return PolicyError("no policy text")
    try:
        document = json.loads(policy_text)
    except ValueError as exc:
        return PolicyError(f"not JSON: {exc}")
    if not isinstance(document, dict):
        return PolicyError("not a JSON object")
    return document


def strings(value: Any) -> tuple[str, ...] | None:
    """A policy value that may be one string or a list of strings, as a tuple; None when it is neither."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None

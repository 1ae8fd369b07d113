"""One setting's value: an event key, else an env var, else the default; parsed strictly, and
an error that names where the bad value came from."""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping, TypeVar

from ecr_usage_report.redaction import clipped

T = TypeVar("T")
SHOWN_CHARS = 80  # a bad value is echoed cut to this, so one error stays one line
TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}


class ConfigError(ValueError):
    """An env var or event key that is missing or malformed; the message names it."""


def shown(value: Any) -> str:
    """A given value as an error message echoes it: its repr, secrets removed, cut to SHOWN_CHARS.
    Every setting's error shows a bad value through this, so one error stays one short line."""
    return clipped(repr(value), SHOWN_CHARS)


def choice(event: Mapping[str, Any], environ: Mapping[str, str], key: str | None, env: str | None,
           parse: Callable[[Any, str], T], default: T) -> T:
    """The event key's value, else the env var's, else `default`; a value found is parsed with
    `parse(value, name)`, where name says where it came from ('event key "x"' or 'env var X').

    An event key set to null and an env var that is empty or blank count as not set.
    """
    if key is not None and event.get(key) is not None:
        return parse(event[key], f'event key "{key}"')
    if env is not None and environ.get(env, "").strip():
        return parse(environ[env], f"env var {env}")
    return default


def parse_bool(value: Any, name: str) -> bool:
    """A strict boolean: true/false (or 1/0, yes/no as text); anything else is an error."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise ConfigError(f"{name} must be true or false, got {shown(value)}")


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

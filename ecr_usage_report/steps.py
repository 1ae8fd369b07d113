"""The scale-out's steps (statemachine/report.asl.json): which step an invocation is, and its input,
checked like every other setting. Each step is this same function with an event that says which."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ecr_usage_report.setting import ConfigError, shown

# "target_account", as an EventBridge event has an "account" of its own
EVENT_STEP, EVENT_RUN, EVENT_ACCOUNT, EVENT_PARTS = "step", "run", "target_account", "parts"
EVENT_KEYS = frozenset({EVENT_STEP, EVENT_RUN, EVENT_ACCOUNT, EVENT_PARTS})
ACCOUNTS, ACCOUNT, REPORT = "accounts", "account", "report"  # list them; read one; report on all
RUN_PATTERN = re.compile(r"\d{8}T\d{6}Z")  # a run's UTC start, as its parts' S3 keys hold it
ACCOUNT_ID = re.compile(r"\d{12}")


@dataclass(frozen=True)
class Part:
    """What the step of one account returned: the S3 key of its inventory, or why it was not read."""

    account: str
    name: str = ""
    organization: str | None = None
    key: str | None = None
    error: str | None = None

    def record(self) -> dict[str, Any]:
        """As a step returns it: small, as Step Functions carries every account's in one payload."""
        found = {"key": self.key} if self.key is not None else {"error": self.error}
        return {"account": self.account, "name": self.name, "organization": self.organization, **found}


@dataclass(frozen=True)
class Step:
    """One step of a scale-out run."""

    name: str  # ACCOUNTS, ACCOUNT or REPORT
    run: str = ""  # every step but the first: the run it belongs to
    account: Part | None = None  # ACCOUNT: the account to read (its id, name and organization)
    parts: tuple[Part, ...] = ()  # REPORT: what each account's step returned


def step_of(event: Any) -> str | None:
    """The step an event asks for (None: a whole report in one invocation)."""
    return event.get(EVENT_STEP) if isinstance(event, dict) and isinstance(event.get(EVENT_STEP), str) else None


def parse_step(event: dict[str, Any]) -> Step | None:
    """The step an event asks for, checked (None when it asks for none).

    Raises:
        ConfigError: the step or its input is malformed.
    """
    name = event.get(EVENT_STEP)
    if name is None:
        if extra := sorted(key for key in (EVENT_RUN, EVENT_ACCOUNT, EVENT_PARTS) if event.get(key) is not None):
            raise ConfigError(f'event key "{extra[0]}" belongs to a step: set "step" too')
        return None
    if name not in (ACCOUNTS, ACCOUNT, REPORT):
        raise ConfigError(f'event key "step" must be {ACCOUNTS}, {ACCOUNT} or {REPORT}, got {shown(name)}')
    if name == ACCOUNTS:
        return Step(name)
    run = event.get(EVENT_RUN)
    if not isinstance(run, str) or not RUN_PATTERN.fullmatch(run):
        raise ConfigError(f'event key "run" must be the run that the accounts step began, like 20261203T120000Z,'
                          f" got {shown(run)}")
    if name == ACCOUNT:
        return Step(name, run, account=part_of(event.get(EVENT_ACCOUNT), f'event key "{EVENT_ACCOUNT}"', item=True))
    parts = event.get(EVENT_PARTS)
    if not isinstance(parts, list) or not parts:
        raise ConfigError(f'event key "parts" must list what each account\'s step returned, got {shown(parts)}')
    return Step(name, run, parts=tuple(part_of(part, f'event key "parts" item {number}')
                                       for number, part in enumerate(parts, 1)))


def part_of(value: Any, name: str, item: bool = False) -> Part:
    """An account to read (`item`: as the accounts step listed it), or what its step returned."""
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be an object, got {shown(value)}")
    account = value.get("id" if item else "account")
    if not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account):
        raise ConfigError(f"{name} must name a 12-digit account, got {shown(account)}")
    texts = {key: value.get(key) for key in ("name", "organization", "key", "error")}
    if any(text is not None and not isinstance(text, str) for text in texts.values()):
        raise ConfigError(f"{name} holds a value that is not text: {shown(value)}")
    if not item and (texts["key"] is None) == (texts["error"] is None):
        raise ConfigError(f'{name} must hold either "key" or "error", got {shown(value)}')
    return Part(account, texts["name"] or "", texts["organization"], texts["key"], texts["error"])

"""Who outside this account a repository policy lets pull (pure), read conservatively: a Deny narrows
nothing, a NotAction or NotPrincipal allows what it does not name, and a condition narrows `*` only
through the organization and account keys it names with a positive operator."""
from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from ecr_usage_report.analysis.policy import PolicyError, load, strings

PULL_ACTIONS = ("ecr:batchgetimage", "ecr:getdownloadurlforlayer")  # either reads an image's content
ACCOUNT_RE = re.compile(r"^(?:arn:[^:]+:(?:iam|sts)::)?(\d{12})(?::|$)")
DELETED_PRINCIPAL_RE = re.compile(r"^A[A-Z0-9]{15,}$")  # IAM shows a deleted user or role by its unique id
ARN_ACCOUNT_RE = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:([^:]*):")
NARROWING_OPERATORS = ("stringequals", "stringlike", "stringequalsignorecase", "arnequals", "arnlike")
ORG_ID, ORG_PATHS = "aws:principalorgid", "aws:principalorgpaths"
ACCOUNT_KEYS, ARN_KEYS = ("aws:sourceaccount", "aws:principalaccount"), ("aws:sourcearn", "aws:principalarn")


@dataclass(frozen=True)
class ServiceGrant:
    """A service principal that may pull, and the accounts it may act for (none named: any account's)."""

    service: str
    accounts: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.service} for {', '.join(self.accounts) if self.accounts else 'any account'}"


@dataclass(frozen=True)
class SharedWith:
    """Who outside this account a repository policy lets pull."""

    accounts: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()  # organization ids (o-...) and organization paths (o-.../r-.../ou-...)
    everyone: bool = False
    services: tuple[ServiceGrant, ...] = ()

    @property
    def shared(self) -> bool:
        return bool(self.accounts or self.organizations or self.everyone or self.services)

    @property
    def text(self) -> str:
        """One line: "shared with 111122223333, organization o-abc, everyone"."""
        parts = [*self.accounts, *(f"organization {org}" for org in self.organizations),
                 *(["everyone"] if self.everyone else []), *(grant.text for grant in self.services)]
        return "shared with " + ", ".join(parts) if parts else "not shared outside this account"


def shared_with(policy_text: str | None, account: str) -> SharedWith | PolicyError:
    """Who outside `account` the repository policy lets pull.

    Args:
        policy_text: GetRepositoryPolicy's policyText.
        account: the 12-digit id of the account that owns the repository.

    Returns:
        SharedWith, or a PolicyError naming why the policy could not be read.
    """
    document = load(policy_text)
    if isinstance(document, PolicyError):
        return document
    statements = document.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        return PolicyError("no Statement list")
    accounts: set[str] = set()
    organizations: set[str] = set()
    services: dict[str, set[str] | None] = {}  # None: any account's
    everyone = False
    for number, statement in enumerate(statements, 1):
        grant = statement_grant(statement, account)
        if isinstance(grant, str):
            return PolicyError(f"statement {statement.get('Sid') or f'#{number}'}: {grant}")
        for kind, value in grant:
            if kind == "account":
                accounts.add(value)
            elif kind == "organization":
                organizations.add(value)
            elif kind == "everyone":
                everyone = True
            else:
                service, _, acting_for = value.partition(" ")
                if acting_for and services.get(service, set()) is not None:
                    services.setdefault(service, set()).add(acting_for)
                elif not acting_for:
                    services[service] = None
    return SharedWith(tuple(sorted(accounts)), tuple(sorted(organizations)), everyone,
                      tuple(ServiceGrant(s, tuple(sorted(a or ()))) for s, a in sorted(services.items())))


def statement_grant(statement: dict[str, Any], account: str) -> list[tuple[str, str]] | str:
    """What one statement lets outsiders pull: ("account", id), ("organization", id or path), ("everyone", ""),
    ("service", "name" or "name account"); or why it cannot be read."""
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        return f"unknown Effect {effect!r}"
    pulls = allows_pull(statement)
    if isinstance(pulls, str):
        return pulls
    if effect == "Deny" or not pulls:
        return []
    narrowed = narrowing(statement.get("Condition", {}))
    if isinstance(narrowed, str):
        return narrowed
    if "NotPrincipal" in statement:
        return widened(narrowed, account)
    principal = statement.get("Principal")
    if principal == "*":
        return widened(narrowed, account)
    if not isinstance(principal, dict) or not principal:
        return "no Principal"
    granted: list[tuple[str, str]] = []
    for kind, values in principal.items():
        names = strings(values)
        if names is None:
            return f"Principal {kind} is not a string or a list of strings"
        if kind == "AWS":
            for name in names:
                if name == "*":
                    granted += widened(narrowed, account)
                    continue
                match = ACCOUNT_RE.match(name)
                if match is None and DELETED_PRINCIPAL_RE.match(name):
                    continue  # no one can act as a principal that no longer exists
                if match is None:
                    return f"unknown AWS principal {name!r}"
                granted += [("account", match[1])] if match[1] != account else []
        elif kind in ("Service", "Federated"):
            acting_for = narrowed[0] if narrowed and narrowed[0] else None
            if acting_for is None:
                granted += [("service", name) for name in names]
            else:
                granted += [("service", f"{name} {other}") for name in names
                            for other in sorted(acting_for) if other != account]
        else:
            return f"unknown principal type {kind!r}"
    return granted


def allows_pull(statement: dict[str, Any]) -> bool | str:
    """Whether the statement's Action (or NotAction) takes in a pull action; IAM actions ignore case."""
    if "Action" in statement:
        actions = strings(statement["Action"])
        if actions is None:
            return "Action is not a string or a list of strings"
        return any(fnmatchcase(pull, action.lower()) for action in actions for pull in PULL_ACTIONS)
    excluded = strings(statement.get("NotAction"))
    if excluded is None:
        return "neither Action nor NotAction"
    return not all(any(fnmatchcase(pull, action.lower()) for action in excluded) for pull in PULL_ACTIONS)


def narrowing(condition: Any) -> tuple[set[str] | None, set[str] | None, set[str] | None] | str:
    """(accounts, organization paths, organization ids) a condition limits principals to; None where it does not."""
    if not isinstance(condition, dict):
        return "Condition is not an object"
    accounts: set[str] | None = None
    paths: set[str] | None = None
    orgs: set[str] | None = None
    for operator, tests in condition.items():
        if not isinstance(tests, dict):
            return f"Condition {operator} is not an object"
        if operator.lower().removeprefix("forallvalues:").removeprefix("foranyvalue:") not in NARROWING_OPERATORS:
            continue  # a negated or IfExists test lets through principals it does not name
        for key, value in tests.items():
            values = strings(value)
            if values is None:
                return f"Condition {operator} {key} is not a string or a list of strings"
            key = key.lower()
            if key in ACCOUNT_KEYS:
                accounts = (accounts or set()) | set(values)
            elif key in ARN_KEYS:
                named = [ARN_ACCOUNT_RE.match(arn) for arn in values]
                if all(match and match[1].isdigit() and len(match[1]) == 12 for match in named):
                    accounts = (accounts or set()) | {match[1] for match in named if match}
            elif key == ORG_PATHS:
                paths = (paths or set()) | set(values)
            elif key == ORG_ID:
                orgs = (orgs or set()) | set(values)
    return accounts, paths, orgs


def widened(narrowed: tuple[set[str] | None, set[str] | None, set[str] | None], account: str) -> list[tuple[str, str]]:
    """Who `*` is under the statement's conditions: the narrowest named set (they all must hold), else everyone."""
    accounts, paths, orgs = narrowed
    if accounts is not None:
        return [("account", other) for other in sorted(accounts) if other != account]
    if paths is not None or orgs is not None:
        return [("organization", org) for org in sorted(paths if paths is not None else orgs or ())]
    return [("everyone", "")]

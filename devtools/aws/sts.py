"""STS as AWS answers it where moto does not: AssumeRole is refused unless the role exists in its
account and its trust policy names the caller's account (moto hands out credentials for any ARN)."""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from moto.iam.models import get_account_id_from, iam_backends

from devtools.aws.core import Service
from devtools.aws.protocol import Handler, Request, Response, error_response

ROLE_ARN_RE = re.compile(r"^arn:(?P<partition>[^:]+):iam::(?P<account>\d{12}):role/(?:.*/)?(?P<name>[^/]+)$")
CREDENTIAL_RE = re.compile(r"Credential=([^/]+)/")


def trusted_accounts(document: Any) -> set[str] | None:
    """The accounts a trust policy's Allow statements name as AWS principals; None: any (`*`)."""
    if isinstance(document, str):
        document = json.loads(document or "{}")
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    found: set[str] = set()
    for statement in [statements] if isinstance(statements, dict) else statements:
        principal = statement.get("Principal", {}) if statement.get("Effect") == "Allow" else {}
        names = principal.get("AWS", []) if isinstance(principal, dict) else principal
        for name in [names] if isinstance(names, str) else names:
            if name == "*":
                return None
            found.add(name.split(":")[4] if name.startswith("arn:") else name)
    return found


def refusal(environ: dict, body: bytes) -> tuple[str, str] | None:
    """(caller, role ARN) when AWS would refuse this AssumeRole, else None."""
    arn = dict(parse_qsl(body.decode("utf-8", "replace"))).get("RoleArn", "")
    match = ROLE_ARN_RE.match(arn)
    caller = caller_of(environ)
    if match is None:
        return caller, arn
    backend = iam_backends[match["account"]][match["partition"]]
    role = next((r for r in list(backend.roles.values()) if r.name == match["name"]), None)
    if role is None:
        return caller, arn
    trusted = trusted_accounts(role.assume_role_policy_document)
    return None if trusted is None or caller in trusted else (caller, arn)


class Sts(Service):
    """STS's AssumeRole, refused as AWS refuses it (moto keeps the roles; nothing is recorded here)."""

    name = "sts"

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        return {("sts", "AssumeRole"): self._assume_role}

    def _assume_role(self, req: Request) -> Response:
        """moto's answer, or AWS's AccessDenied for a role that does not exist or does not trust the caller."""
        refused = refusal(req.environ, req.body)
        if refused is None:
            return self.layer.forward(req)
        caller, arn = refused
        return error_response("sts", "AccessDenied", f"User: arn:aws:iam::{caller}:root is not authorized to"
                                                     f" perform: sts:AssumeRole on resource: {arn}", 403)


def access_key_of(account: str, partition: str = "aws") -> str | None:
    """An access key moto holds for the account (one STS issued), to act in it in-process; None: none yet."""
    return next(iter(list(iam_backends[account][partition].access_keys)), None)


def caller_of(environ: dict) -> str:
    """The account of the request's credentials, as moto binds them."""
    key = CREDENTIAL_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return account_of_key(key[1]) if key else ""


def account_of_key(access_key: str) -> str:
    """The account moto binds an access key to (its default account for a key it did not issue)."""
    return get_account_id_from(access_key)

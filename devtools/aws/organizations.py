"""Organizations as AWS answers it where moto 5.2.5 does not: ListAccounts pages (at most 20 accounts a
page), and refuses a caller outside any organization (AWSOrganizationsNotInUseException) or a member
account (AccessDeniedException: the management account lists them; a delegated administrator, which
AWS allows too, is not simulated)."""

from __future__ import annotations

import json

from moto.organizations.models import organizations_backends

from devtools.aws.core import Service
from devtools.aws.paging import cut, decode_token, page_size
from devtools.aws.protocol import Handler, Request, Response, error_response, rewrite
from devtools.aws.sts import caller_of

ACCOUNTS_PAGE = (20, 20)  # ListAccounts' MaxResults: 1 to 20


class Organizations(Service):
    """The organization's accounts (moto keeps them; nothing is recorded here)."""

    name = "organizations"

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        return {("organizations", "ListAccounts"): self._list_accounts}

    def _list_accounts(self, req: Request) -> Response:
        caller = caller_of(req.environ)
        if caller not in organizations_backends.master_accounts and organizations_backends[caller]["aws"].org is None:
            return error_response("organizations", "AWSOrganizationsNotInUseException",
                                  "Your account is not a member of an organization.", 400)
        if organizations_backends[caller]["aws"].org is None:
            return error_response("organizations", "AccessDeniedException",
                                  "You don't have permissions to access this resource.", 400)
        params = req.json()
        try:
            offset, size = decode_token(params.pop("NextToken", None)), page_size(params.pop("MaxResults", None),
                                                                                 ACCOUNTS_PAGE)
        except ValueError:
            return error_response("organizations", "InvalidInputException", "Invalid NextToken or MaxResults", 400)

        def page(doc: dict) -> None:
            doc["Accounts"], token = cut(doc.get("Accounts") or [], offset, self.layer.shorten(size))
            doc.pop("NextToken", None)
            if token:
                doc["NextToken"] = token

        return rewrite(self.layer.forward(req, json.dumps(params).encode()), page)

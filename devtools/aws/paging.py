"""Pages as AWS answers them, over listings moto answers whole: opaque tokens, page sizes, one page."""

from __future__ import annotations

import base64
import json
from typing import Any, Callable

from devtools.aws.core import AwsLayer
from devtools.aws.protocol import Request, Response, error_response, rewrite


def encode_token(offset: int) -> str:
    """Opaque paging token for an offset."""
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    """Offset from a paging token; ValueError if the token is not ours."""
    if token is None:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["o"]
    except Exception as exc:
        raise ValueError(token) from exc
    if not isinstance(offset, int) or offset < 0:
        raise ValueError(token)
    return offset


def page_size(value: Any, limits: tuple[int, int]) -> int:
    """Validated page size; ValueError when out of range."""
    default, maximum = limits
    size = default if value in (None, "") else int(value)
    if size < 1:
        raise ValueError(value)
    return min(size, maximum)


def page_bounds(params: dict, limits: tuple[int | None, int], shorten: Callable[[int], int]) -> tuple[int, int | None]:
    """(offset, size) of the page asked for in `nextToken` / `maxResults` (popped); ValueError if invalid.

    limits is (default, maximum); a default of None answers everything in one page when no size is asked.
    """
    offset = decode_token(params.pop("nextToken", None))
    asked = params.pop("maxResults", None)
    if asked is None and limits[0] is None:
        return offset, None
    return offset, shorten(page_size(asked, (limits[0] or limits[1], limits[1])))


def cut(items: list, offset: int, size: int | None) -> tuple[list, str | None]:
    """One page of items and the token of the next, if any."""
    end = len(items) if size is None else offset + size
    return items[offset:end], encode_token(end) if end < len(items) else None


def one_page(doc: dict, key: str, token_key: str, offset: int, size: int | None) -> None:
    """Cut doc[key] to one page and set or drop the next token."""
    doc[key], token = cut(doc.get(key) or [], offset, size)
    doc.pop(token_key, None)
    if token:
        doc[token_key] = token


def forward_page(layer: AwsLayer, req: Request, key: str, limits: tuple[int | None, int],
                 edit: Callable[[dict], None] | None = None) -> Response:
    """Forward without the paging parameters `nextToken` / `maxResults`, then answer one page as AWS does."""
    params = req.json()
    try:
        offset, size = page_bounds(params, limits, layer.shorten)
    except ValueError:
        return error_response(req.service, "InvalidParameterException", "Invalid nextToken or maxResults", 400)

    def page(doc: dict) -> None:
        if edit is not None:
            edit(doc)
        one_page(doc, key, "nextToken", offset, size)

    return rewrite(layer.forward(req, json.dumps(params).encode()), page)

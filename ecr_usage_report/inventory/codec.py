"""An inventory as JSON and back (pure): how one account's inventory travels from the step that read
it to the step that reports on every account, through S3."""
from __future__ import annotations

import types
from collections.abc import Mapping as AbstractMapping
from dataclasses import fields, is_dataclass
from datetime import datetime
from functools import cache
from typing import Any, Union, get_args, get_origin, get_type_hints

from ecr_usage_report.inventory.model import Inventory

FORMAT = 1  # of the JSON this module writes; a reader refuses any other


class CodecError(ValueError):
    """JSON that is not an inventory this module wrote."""


def encoded(value: Any) -> Any:
    """A dataclass (or anything in one) as JSON values: a mapping as [key, value] pairs, as its keys
    may be tuples, and a datetime as ISO text."""
    if is_dataclass(value):
        return {field.name: encoded(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, AbstractMapping):
        return [[encoded(key), encoded(item)] for key, item in value.items()]
    if isinstance(value, (list, tuple)):
        return [encoded(item) for item in value]
    return value


@cache
def hints_of(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def decoded(hint: Any, data: Any) -> Any:
    """`data` (as `encoded` wrote it) as a value of the type `hint`."""
    origin, args = get_origin(hint), get_args(hint)
    if data is None:
        return None
    if origin in (Union, types.UnionType):
        return decoded(next(arg for arg in args if arg is not type(None)), data)
    if isinstance(hint, type) and is_dataclass(hint):
        hints = hints_of(hint)
        return hint(**{field.name: decoded(hints[field.name], data[field.name])
                       for field in fields(hint) if field.init and field.name in data})
    if hint is datetime:
        return datetime.fromisoformat(data)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decoded(args[0], item) for item in data)
        return tuple(decoded(arg, item) for arg, item in zip(args, data))
    if origin in (dict, AbstractMapping):
        return {decoded(args[0], key): decoded(args[1], item) for key, item in data}
    return data


def inventory_document(inventory: Inventory) -> dict[str, Any]:
    return {"format": FORMAT, "inventory": encoded(inventory)}


def inventory_of(document: Any) -> Inventory:
    """The inventory a document of inventory_document holds.

    Raises:
        CodecError: it is not one.
    """
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CodecError(f"not an inventory of format {FORMAT}")
    try:
        return decoded(Inventory, document["inventory"])
    except (KeyError, TypeError, ValueError, StopIteration) as exc:
        raise CodecError(f"not an inventory: {type(exc).__name__}: {exc}") from None

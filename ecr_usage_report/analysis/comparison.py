"""What changed since the last report: two JSON exports compared (pure).

An earlier export may hold anything (another tool's file, a hand edit, a cut upload): it is
checked as it is read, and one that cannot be compared raises ExportError saying why. Only the
regions both exports read fully are compared: a repository of a region one of them could not
read (or read with ECR errors) is neither added nor removed, and the totals are then summed over
the regions compared.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

RepositoryKey = tuple[str, str]  # (region, repository name)
TOP = 5
ECR_ERROR = "ECR "  # how an export's error about ECR starts its `where`


class ExportError(ValueError):
    """An earlier export that cannot be compared with; the message says why (never its content)."""


@dataclass(frozen=True)
class Comparison:
    """The earlier report's totals beside this one's, and what moved in between."""

    previous_at: str  # the earlier export's generated_at
    size_bytes: tuple[int, int]  # (then, now), over the regions compared
    monthly_cost_usd: tuple[float, float]
    added: tuple[RepositoryKey, ...]
    removed: tuple[RepositoryKey, ...]
    grew: tuple[tuple[RepositoryKey, int], ...]  # the most grown first, with the bytes gained
    new_candidates: tuple[RepositoryKey, ...]
    left_out: tuple[str, ...] = ()  # regions scanned by either that one of them did not read fully
    sizes: dict[RepositoryKey, int] = field(default_factory=dict)  # an added one's size now, a removed one's then

    def as_record(self) -> dict[str, Any]:
        """The comparison as the JSON export carries it."""
        return {
            "previous_generated_at": self.previous_at,
            "total_size_bytes": {"previous": self.size_bytes[0], "now": self.size_bytes[1]},
            "estimated_monthly_cost_usd": {"previous": self.monthly_cost_usd[0], "now": self.monthly_cost_usd[1]},
            "repositories_added": [{"region": r, "name": n, "size_bytes": self.sizes.get((r, n))}
                                   for r, n in self.added],
            "repositories_removed": [{"region": r, "name": n, "size_bytes": self.sizes.get((r, n))}
                                     for r, n in self.removed],
            "grew_most": [{"region": r, "name": n, "grew_bytes": grown} for (r, n), grown in self.grew],
            "new_deletion_candidates": [{"region": r, "name": n} for r, n in self.new_candidates],
            "regions_left_out": list(self.left_out),
        }


def number(value: Any, what: str, whole: bool = False) -> float:
    """A finite number (a whole one when asked) read from an export."""
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
        raise ExportError(f"its {what} is not a {'whole' if whole else 'finite'} number")
    return value


def text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ExportError(f"its {what} is not text")
    return value


def objects(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """An export's list of objects (missing: none)."""
    value = document.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ExportError(f"its {key} is not a list of objects")
    return value


def texts(value: Any, what: str) -> list[str]:
    if not isinstance(value, list):
        raise ExportError(f"its {what} is not a list")
    return [text(item, what) for item in value]


def regions_read(document: dict[str, Any]) -> set[str] | None:
    """The regions whose repositories the export lists whole: its regions_read_fully, or in an export
    without it, the regions scanned that have no ECR error; None for one that names no region."""
    if "regions_read_fully" in document:
        return set(texts(document["regions_read_fully"], "regions_read_fully"))
    if "regions_scanned" not in document:
        return None
    failed = {where[len(ECR_ERROR):].split("/")[0] for where in (text(error.get("where"), "errors' where")
                                                                  for error in objects(document, "errors"))
              if where.startswith(ECR_ERROR)}
    return set(texts(document.get("regions_scanned"), "regions_scanned")) - failed


def judged(document: dict[str, Any]) -> set[str]:
    """The regions whose repositories the export judged (not_judged names the others)."""
    return {text(entry.get("region"), "not_judged region") for entry in objects(document, "not_judged")}


def sizes(document: dict[str, Any], regions: set[str]) -> dict[RepositoryKey, int]:
    return {(text(repo.get("region"), "repository region"), text(repo.get("name"), "repository name")):
            int(number(repo.get("size_bytes"), "repository size_bytes", whole=True))
            for repo in objects(document, "repositories") if repo.get("region") in regions}


def cost(document: dict[str, Any], regions: set[str]) -> float:
    """The monthly cost of the repositories of these regions (schema version 2 prices each)."""
    return round(sum(number(repo.get("monthly_cost_usd"), "repository monthly_cost_usd")
                     for repo in objects(document, "repositories") if repo.get("region") in regions), 4)


def candidates(document: dict[str, Any], regions: set[str]) -> set[RepositoryKey]:
    return {(text(c.get("region"), "candidate region"), text(c.get("repository"), "candidate repository"))
            for c in objects(document, "deletion_candidates") if c.get("region") in regions}


def totals(document: dict[str, Any]) -> tuple[int, float]:
    """The export's summary: total size and monthly cost."""
    summary = document.get("summary")
    if not isinstance(summary, dict):
        raise ExportError("its summary is not an object")
    return (int(number(summary.get("total_size_bytes"), "summary total_size_bytes", whole=True)),
            number(summary.get("estimated_monthly_cost_usd"), "summary estimated_monthly_cost_usd"))


def compare(previous: Any, current: dict[str, Any]) -> Comparison:
    """This report's export against the earlier one's (any schema version with version 1's fields).

    Raises:
        ExportError: the earlier export is not one this run can compare with.
    """
    if not isinstance(previous, dict):
        raise ExportError(f"it holds a JSON {type(previous).__name__}, not an object")
    now_read, then_read = set(current["regions_read_fully"]), regions_read(previous)
    both = now_read if then_read is None else then_read & now_read  # an export naming no region: taken as whole
    scanned = set(texts(previous.get("regions_scanned", []), "regions_scanned")) | set(current["regions_scanned"])
    left_out = tuple(sorted(scanned - both))
    then, now = sizes(previous, both), sizes(current, both)
    if left_out:
        size_bytes, monthly = (sum(then.values()), sum(now.values())), (cost(previous, both), cost(current, both))
    else:
        (size_then, cost_then), (size_now, cost_now) = totals(previous), totals(current)
        size_bytes, monthly = (size_then, size_now), (float(cost_then), float(cost_now))
    grown = sorted(((key, now[key] - then[key]) for key in now.keys() & then.keys() if now[key] > then[key]),
                   key=lambda pair: (-pair[1], pair[0]))
    compared = both - judged(previous)  # a region judged only now has candidates that are not new
    added, removed = now.keys() - then.keys(), then.keys() - now.keys()
    return Comparison(
        previous_at=str(previous.get("generated_at", "")),
        size_bytes=size_bytes,
        monthly_cost_usd=monthly,
        added=tuple(sorted(added)),
        removed=tuple(sorted(removed)),
        grew=tuple(grown[:TOP]),
        new_candidates=tuple(sorted(candidates(current, compared) - candidates(previous, compared))),
        left_out=left_out,
        sizes={**{key: then[key] for key in removed}, **{key: now[key] for key in added}},
    )

"""What changed since the last report: two JSON exports compared (pure)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RepositoryKey = tuple[str, str]  # (region, repository name)
TOP = 5


@dataclass(frozen=True)
class Comparison:
    """The earlier report's totals beside this one's, and what moved in between."""

    previous_at: str  # the earlier export's generated_at
    size_bytes: tuple[int, int]  # (then, now)
    monthly_cost_usd: tuple[float, float]
    added: tuple[RepositoryKey, ...]
    removed: tuple[RepositoryKey, ...]
    grew: tuple[tuple[RepositoryKey, int], ...]  # the most grown first, with the bytes gained
    new_candidates: tuple[RepositoryKey, ...]
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
        }


def sizes(document: dict[str, Any]) -> dict[RepositoryKey, int]:
    return {(repo["region"], repo["name"]): int(repo["size_bytes"]) for repo in document.get("repositories", [])}


def candidates(document: dict[str, Any]) -> set[RepositoryKey]:
    return {(c["region"], c["repository"]) for c in document.get("deletion_candidates", [])}


def compare(previous: dict[str, Any], current: dict[str, Any]) -> Comparison:
    """This report's export against the earlier one's (any schema version with version 1's fields)."""
    then, now = sizes(previous), sizes(current)
    added, removed = now.keys() - then.keys(), then.keys() - now.keys()
    grown = sorted(((key, now[key] - then[key]) for key in now.keys() & then.keys() if now[key] > then[key]),
                   key=lambda pair: (-pair[1], pair[0]))
    return Comparison(
        previous_at=str(previous.get("generated_at", "")),
        size_bytes=(int(previous["summary"]["total_size_bytes"]), int(current["summary"]["total_size_bytes"])),
        monthly_cost_usd=(float(previous["summary"]["estimated_monthly_cost_usd"]),
                          float(current["summary"]["estimated_monthly_cost_usd"])),
        added=tuple(sorted(added)),
        removed=tuple(sorted(removed)),
        grew=tuple(grown[:TOP]),
        new_candidates=tuple(sorted(candidates(current) - candidates(previous))),
        sizes={**{key: then[key] for key in removed}, **{key: now[key] for key in added}},
    )

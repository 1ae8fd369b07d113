"""The inventory and the deletion candidates as JSON (schema_version 1) and CSV (pure functions).

Times are ISO-8601 in UTC. The JSON schema is documented in README.md ("Exports").
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from typing import Any

from cleanup_rules import Candidate, Thresholds, last_pulled, monthly_cost, untagged_images
from log_times import LastRun
from usage_join import UsageIndex

SCHEMA_VERSION = 1
CSV_COLUMNS = ["region", "repository", "tags", "digest", "size_bytes", "pushed_at", "last_pulled_at", "used_by"]


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 in UTC, or None."""
    return moment.astimezone(timezone.utc).isoformat() if moment else None


def image_record(image: dict[str, Any], index: UsageIndex) -> dict[str, Any]:
    return {
        "digest": image["imageDigest"], "tags": image["imageTags"], "size_bytes": image["imageSizeBytes"],
        "pushed_at": iso(image["imagePushedAt"]), "last_pulled_at": iso(image["lastRecordedPullTime"]),
        "used_by": index.image_users(image),
    }


def repository_record(region: str, repo: dict[str, Any], index: UsageIndex,
                      last_runs: dict[tuple[str, str], LastRun]) -> dict[str, Any]:
    untagged = untagged_images(repo)
    users = index.users_of(repo)
    return {
        "region": region, "name": repo["repositoryName"], "uri": repo["repositoryUri"],
        "size_bytes": repo["totalSizeBytes"], "image_count": len(repo["images"]),
        "untagged_image_count": len(untagged), "untagged_size_bytes": sum(i["imageSizeBytes"] for i in untagged),
        "last_pushed_at": iso(repo["lastPushedDate"]), "last_pulled_at": iso(last_pulled(repo)),
        "lifecycle_policy": repo.get("lifecyclePolicy"),
        "used_by": [function_use(region, f, last_runs) for f in users],
        "images": [image_record(image, index) for image in repo["images"]],
    }


def function_use(region: str, function: dict[str, Any], last_runs: dict[tuple[str, str], LastRun]) -> dict[str, Any]:
    last = last_runs.get((region, function["LogGroupName"]), LastRun("unknown"))
    return {"function": function["FunctionName"], "last_execution_at": iso(last.at), "last_execution": last.text}


def function_record(region: str, function: dict[str, Any]) -> dict[str, Any]:
    return {
        "region": region, "name": function["FunctionName"], "package_type": function["PackageType"],
        "image_uri": function["ImageUri"], "resolved_image_uri": function["ResolvedImageUri"],
        "log_group": function["LogGroupName"], "memory_size": function["MemorySize"],
        "last_modified": function["LastModified"], "aliased_versions": function["AliasedVersions"],
    }


def candidate_record(candidate: Candidate, limits: Thresholds) -> dict[str, Any]:
    size = candidate.repository["totalSizeBytes"]
    return {
        "region": candidate.region, "repository": candidate.repository["repositoryName"], "reason": candidate.reason,
        "size_bytes": size, "monthly_cost_usd": round(monthly_cost(size, limits.price_per_gb_month), 4),
        "functions": [{"function": name, "last_execution_at": iso(last.at)} for name, last in candidate.functions],
    }


def export_document(
    *, email: str, now: datetime, regions: list[str], ecr_object: dict[str, Any],
    lambda_object: dict[str, list[dict[str, Any]]], last_runs: dict[tuple[str, str], LastRun],
    candidates: list[Candidate], errors: list[tuple[str, str]], limits: Thresholds,
) -> dict[str, Any]:
    """The whole inventory and the candidates, in the documented schema."""
    indexes = {region: UsageIndex.of(lambda_object.get(region, [])) for region in ecr_object}
    repositories = [repository_record(region, repo, indexes[region], last_runs)
                    for region, data in sorted(ecr_object.items()) for repo in data["repositories"]]
    total = sum(r["size_bytes"] for r in repositories)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso(now),
        "account": email,
        "settings": {"price_per_gb_month": limits.price_per_gb_month, "unused_days": limits.unused_days,
                     "idle_days": limits.idle_days},
        "regions_scanned": regions,
        "summary": {"repositories": len(repositories), "images": sum(r["image_count"] for r in repositories),
                    "total_size_bytes": total,
                    "estimated_monthly_cost_usd": round(monthly_cost(total, limits.price_per_gb_month), 4)},
        "repositories": repositories,
        "functions": [function_record(region, f) for region, fs in sorted(lambda_object.items()) for f in fs],
        "deletion_candidates": [candidate_record(c, limits) for c in candidates],
        "errors": [{"where": where, "message": message} for where, message in errors],
    }


def to_json(document: dict[str, Any]) -> str:
    """The document as indented UTF-8 JSON text."""
    return json.dumps(document, ensure_ascii=False, indent=2)


def to_csv(document: dict[str, Any]) -> str:
    """One row per image; tags and users are separated by spaces."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for repo in document["repositories"]:
        for image in repo["images"]:
            writer.writerow({
                "region": repo["region"], "repository": repo["name"], "tags": " ".join(image["tags"]),
                "digest": image["digest"], "size_bytes": image["size_bytes"], "pushed_at": image["pushed_at"] or "",
                "last_pulled_at": image["last_pulled_at"] or "", "used_by": " ".join(image["used_by"]),
            })
    return buffer.getvalue()

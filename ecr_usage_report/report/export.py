"""The inventory and the deletion candidates as JSON (schema_version 2) and CSV (pure functions).

Times are ISO-8601 in UTC. The schema is documented in docs/export-schema.md.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from ecr_usage_report.analysis.comparison import Comparison
from ecr_usage_report.analysis.evidence import Changes, Evidence
from ecr_usage_report.analysis.findings import Findings
from ecr_usage_report.analysis.image_problems import ImageProblem
from ecr_usage_report.analysis.join import UsageIndex, count_by_kind, is_function
from ecr_usage_report.analysis.rules import Candidate, Thresholds, archive_minimum, last_run_of, repository_cost
from ecr_usage_report.inventory.ecr import LABEL as ECR
from ecr_usage_report.inventory.places import account_of
from ecr_usage_report.inventory.model import (AliasedVersion, Consumer, Function, Image, Inventory, LastRun,
                                              LogGroupKey, Repository)
from ecr_usage_report.inventory.references import Use
from ecr_usage_report.report.evidence import archived_text, warning_text
from ecr_usage_report.report.words import last_run_text, problem_text
from ecr_usage_report.report.times import iso_utc

SCHEMA_VERSION = 2  # 2 adds consumers besides Lambda functions; every field of 1 is kept
CSV_COLUMNS = ["region", "repository", "tags", "digest", "size_bytes", "pushed_at", "last_pulled_at", "used_by",
               "status", "last_archived_at", "kind", "stored_bytes"]


def consumer_record(consumer: Consumer) -> dict[str, Any]:
    return {"kind": consumer.kind, "name": consumer.name, "region": consumer.region,
            "last_run_at": iso_utc(consumer.last_run), "state": consumer.state}


def use_record(use: Use) -> dict[str, Any]:
    return {"image": use.image, "reference": use.by, "as_named": use.reference}


def image_record(image: Image, usage: UsageIndex) -> dict[str, Any]:
    return {
        "digest": image.digest, "tags": list(image.tags), "size_bytes": image.size_bytes,
        "pushed_at": iso_utc(image.pushed_at), "last_pulled_at": iso_utc(image.last_pulled_at),
        "used_by": usage.image_functions(image),
        "consumers": [{"kind": consumer.kind, "name": consumer.name, "region": consumer.region, "reference": use.by}
                      for consumer, use in usage.image_uses(image)],
    }


def image_storage_record(image: Image, repo: Repository) -> dict[str, Any]:
    """What the image is (image, index, referrer), its storage class, and what reaches it."""
    unread = not repo.reach.complete and image.digest not in repo.reach.reached
    children = repo.index_children.get(image.digest)
    return {
        "status": image.status, "last_archived_at": iso_utc(image.last_archived_at), "kind": image.kind,
        "stored_bytes": image.stored_bytes, "manifest_media_type": image.manifest_media_type,
        "artifact_media_type": image.artifact_media_type, "subject_digest": image.subject_digest,
        "manifests": list(children) if children is not None else None,
        "untagged": None if unread else image.digest not in repo.reach.reached,
    }


def repository_storage_record(repo: Repository, limits: Thresholds) -> dict[str, Any]:
    """Active and archived counts and sizes, the kinds it holds, and what storing it costs."""
    return {
        "active_image_count": len(repo.images) - len(repo.archived), "active_size_bytes": repo.active_size_bytes,
        "archived_image_count": len(repo.archived), "archived_size_bytes": repo.archived_size_bytes,
        "not_judged_image_count": len(repo.not_judged), "index_count": len(repo.indexes),
        "unread_index_count": len(repo.unread_indexes), "referrer_count": len(repo.referrers),
        "monthly_cost_usd": round(repository_cost(repo, limits), 4),
    }


def problem_record(problem: ImageProblem) -> dict[str, Any]:
    return {"qualifier": problem.qualifier or None, "problem": problem.problem, "image_uri": problem.uri,
            "by_tag": problem.by_tag, "message": problem_text(problem)}


def repository_consumers(repo: Repository, usage: UsageIndex) -> list[dict[str, Any]]:
    """Each consumer of the repository besides functions once, with every image of it that it names."""
    records: dict[Consumer, dict[str, Any]] = {}
    for consumer, use in usage.uses_of(repo):
        if is_function(consumer):
            continue
        records.setdefault(consumer, {**consumer_record(consumer), "images": []})["images"].append(use_record(use))
    return list(records.values())


def function_use(region: str, function: Function, last_runs: dict[LogGroupKey, LastRun]) -> dict[str, Any]:
    last = last_run_of(region, function, last_runs)
    return {"function": function.name, "last_execution_at": iso_utc(last.at), "last_execution": last_run_text(last)}


def repository_record(region: str, repo: Repository, usage: UsageIndex,
                      last_runs: dict[LogGroupKey, LastRun]) -> dict[str, Any]:
    return {
        "region": region, "name": repo.name, "uri": repo.uri,
        "size_bytes": repo.size_bytes, "image_count": len(repo.images),
        "untagged_image_count": len(repo.untagged),
        "untagged_size_bytes": sum(image.stored_bytes for image in repo.untagged),  # as the text counts them
        "last_pushed_at": iso_utc(repo.last_pushed_at), "last_pulled_at": iso_utc(repo.last_pulled_at),
        "lifecycle_policy": repo.lifecycle_policy,
        "used_by": [function_use(region, user, last_runs) for user in usage.functions_of(repo)],
        "images": [{**image_record(image, usage), **image_storage_record(image, repo)} for image in repo.images],
        "consumers": repository_consumers(repo, usage),
    }


def changes_record(changes: Changes | None) -> dict[str, Any] | None:
    if changes is None:
        return None
    return {"image_count": changes.images, "size_bytes": changes.size_bytes,
            "monthly_cost_usd": round(changes.monthly_cost, 4), "uncertain_image_count": changes.uncertain}


def evidence_record(evidence: Evidence | None, reason: str | None) -> dict[str, Any]:
    """Who else may pull the repository, pulls no listed consumer explains, what its lifecycle policy takes."""
    shared = evidence.shared if evidence else None
    pulled = evidence.unlisted_pulls if evidence else ()
    return {
        "shared_with": None if shared is None or not shared.shared else {
            "accounts": list(shared.accounts), "organizations": list(shared.organizations),
            "everyone": shared.everyone, "services": [grant.text for grant in shared.services], "text": shared.text},
        "pulled_by_unlisted": {"last_pulled_at": iso_utc(pulled[0].last_pulled_at),
                               "images": [image.digest for image in pulled]} if pulled else None,
        "lifecycle_next_evaluation": {"expire": changes_record(evidence.expires),
                                      "archive": changes_record(evidence.archives)} if evidence else None,
        "lifecycle_warnings": [{
            "digest": w.image.digest, "tags": list(w.image.tags), "action": w.selected.action,
            "rule_priority": w.selected.priority, "rule_description": w.selected.description,
            "certain": w.selected.certain, "consumers": [{"kind": c.kind, "name": c.name, "region": c.region}
                                                         for c in w.users],
            "message": warning_text(w)} for w in (evidence.warnings if evidence else ())],
        "archived_in_use": [{"digest": each.image.digest, "tags": list(each.image.tags),
                             "consumers": [{"kind": c.kind, "name": c.name, "region": c.region} for c in each.users],
                             "message": archived_text(each)}
                            for each in (evidence.archived_in_use if evidence else ())],
        "not_judged": reason,
    }


def versions_record(versions: tuple[AliasedVersion, ...] | None) -> list[dict[str, Any]] | None:
    if versions is None:
        return None
    return [{"Version": v.version, "Aliases": list(v.aliases), "ImageUri": v.image_uri,
             "ResolvedImageUri": v.resolved_image_uri} for v in versions]


def function_record(region: str, function: Function) -> dict[str, Any]:
    return {
        "region": region, "name": function.name, "package_type": function.package_type,
        "image_uri": function.image_uri, "resolved_image_uri": function.resolved_image_uri,
        "log_group": function.log_group, "memory_size": function.memory_size,
        "last_modified": function.last_modified, "aliased_versions": versions_record(function.aliased_versions),
        "rollback_versions": versions_record(function.rollback_versions),
    }


def candidate_record(candidate: Candidate, limits: Thresholds, now: datetime | None = None) -> dict[str, Any]:
    """A deletion candidate, with what it frees and the facts it rests on."""
    repo = candidate.repository
    held, until = archive_minimum(repo, now) if now else (0, None)
    return {
        "region": candidate.region, "repository": repo.name, "reason": candidate.reason,
        "size_bytes": repo.size_bytes, "monthly_cost_usd": round(repository_cost(repo, limits), 4),
        "functions": [{"function": name, "last_execution_at": iso_utc(last.at)} for name, last in candidate.functions],
        "archived_size_bytes": repo.archived_size_bytes, "archive_minimum_bytes": held,
        "archive_minimum_until": iso_utc(until), "last_pushed_at": iso_utc(repo.last_pushed_at),
        "last_pulled_at": iso_utc(repo.last_pulled_at), "created_at": iso_utc(repo.created_at),
    }


def regions_read_fully(inventory: Inventory) -> list[str]:
    """The regions whose repositories were all listed and read (an ECR error there names one that was
    read, say its lifecycle policy): a later run compares only these."""
    read = {(region, repo.name) for region, data in inventory.ecr.items() for repo in data.repositories}
    failed = {error.region for error in inventory.errors
              if error.service == ECR and (error.region, error.resource.split("@")[0].split(" ")[0]) not in read}
    return [region for region in inventory.regions if region in inventory.ecr and region not in failed]


def export_document(inventory: Inventory, findings: Findings, email: str,
                    comparison: Comparison | None = None) -> dict[str, Any]:
    """The whole inventory and the candidates (and what changed since the last report), in the documented schema."""
    limits = findings.thresholds
    totals = findings.totals
    withheld = {each.repository.uri: each.reason for each in findings.withheld}
    repositories = [{**repository_record(region, repo, findings.usage, inventory.last_runs),
                     **repository_storage_record(repo, limits), "created_at": iso_utc(repo.created_at),
                     **evidence_record(findings.evidence.get(repo.uri), withheld.get(repo.uri))}
                    for region, data in sorted(inventory.ecr.items()) for repo in data.repositories]
    document = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso_utc(findings.now),
        "account": email,
        "settings": {"price_per_gb_month": limits.price_per_gb_month, "unused_days": limits.unused_days,
                     "idle_days": limits.idle_days, "archive_price_per_gb_month": limits.archive_price_per_gb_month,
                     "consumer_kinds": list(inventory.consumer_kinds)},
        "regions_scanned": list(inventory.regions),
        "regions_read_fully": regions_read_fully(inventory),
        "summary": {"repositories": len(totals.repositories), "images": totals.images,
                    "total_size_bytes": totals.size_bytes,
                    "estimated_monthly_cost_usd": round(totals.monthly_cost, 4),
                    "active_size_bytes": totals.active_bytes, "archived_size_bytes": totals.archived_bytes,
                    "archived_images": totals.archived_images,
                    "functions_whose_image_will_not_run": len(findings.image_problems),
                    "consumers_by_kind": count_by_kind(findings.usage.found),
                    "repositories_pulled_by_unlisted": len(findings.unlisted_pulls),
                    "lifecycle_warnings": len(findings.lifecycle_warnings),
                    "archived_images_other_consumers_run": len(findings.archived_in_use),
                    "repositories_not_judged": len(findings.withheld)},
        "repositories": repositories,
        "functions": [{**function_record(region, function),
                       "image_problems": [problem_record(problem) for problem in findings.image_problems
                                          if (problem.region, problem.function) == (region, function.name)]}
                      for region, listed in sorted(inventory.functions.items()) for function in listed],
        "consumers": [{**consumer_record(consumer), "images": list(consumer.images)}
                      for consumer in findings.usage.found],
        "deletion_candidates": [candidate_record(candidate, limits, findings.now) for candidate in findings.candidates],
        "not_judged": [{"region": region, "reasons": list(why)} for region, why in findings.not_judged.items()],
        "errors": [{"where": error.where, "message": error.message}
                   for error in sorted([*inventory.errors, *findings.policy_errors])],
        "comparison": comparison.as_record() if comparison else None,
    }
    return with_accounts(document, inventory) if inventory.accounts else document


def with_accounts(document: dict[str, Any], inventory: Inventory) -> dict[str, Any]:
    """A report of several accounts: the accounts asked and the organization, and the account on every
    repository, image, function, consumer and candidate (each `region` there is then its place)."""
    for key in ("repositories", "functions", "consumers", "deletion_candidates", "not_judged"):
        for record in document[key]:
            record["account"] = account_of(record["region"])
            for image in record.get("images", []) if key == "repositories" else []:
                image["account"] = record["account"]
    return {**document, "organization": inventory.organization,
            "accounts": [{"id": account.id, "name": account.name, "read": account.read}
                         for account in inventory.accounts]}


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
                "status": image["status"], "last_archived_at": image["last_archived_at"] or "", "kind": image["kind"],
                "stored_bytes": image["stored_bytes"],
            })
    return buffer.getvalue()

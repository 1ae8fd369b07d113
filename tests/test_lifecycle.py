"""What a lifecycle policy will expire or archive, against the ECR user guide's own examples and edge cases."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from ecr_usage_report.analysis.lifecycle import ARCHIVE, EXPIRE, Outcome, evaluate
from ecr_usage_report.analysis.policy import PolicyError
from ecr_usage_report.inventory.model import Image

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def image(name: str, tags: list[str], pushed_days: float, pulled_days: float | None = None,
          status: str = "ACTIVE", archived_days: float | None = None, activated_days: float | None = None) -> Image:
    ago = lambda days: None if days is None else NOW - timedelta(days=days)  # noqa: E731
    return Image(digest=name, tags=tuple(tags), size_bytes=1, pushed_at=ago(pushed_days), last_pulled_at=ago(pulled_days),
                 uris=(), status=status, last_archived_at=ago(archived_days), last_activated_at=ago(activated_days))


def rule(priority: int, selection: dict, action: dict | None = None, description: str = "") -> dict:
    return {"rulePriority": priority, "description": description or f"Rule {priority}", "selection": selection,
            "action": action or {"type": "expire"}}


def count(tag_status: str, number: int, **lists) -> dict:
    return {"tagStatus": tag_status, **lists, "countType": "imageCountMoreThan", "countNumber": number}


def age(tag_status: str, count_type: str, days: int, **more) -> dict:
    return {"tagStatus": tag_status, **more, "countType": count_type, "countUnit": "days", "countNumber": days}


def run(rules: list[dict], images: list[Image], **options) -> Outcome:
    outcome = evaluate(json.dumps({"rules": rules}), images, NOW, **options)
    assert isinstance(outcome, Outcome), outcome
    return outcome


def chosen(outcome: Outcome) -> dict[str, tuple[str, int]]:
    return {digest: (pick.action, pick.priority) for digest, pick in sorted(outcome.selected.items())}


TRIO = [image("A", ["beta-1", "prod-1"], 10), image("B", ["beta-2", "prod-2"], 9), image("C", ["beta-3"], 8)]
SIX = [image("A", ["alpha-1"], 12), image("B", ["beta-1"], 11), image("C", ["alpha-2", "beta-2"], 10),
       image("D", ["alpha-3"], 4), image("E", ["beta-3"], 3), image("F", ["alpha-4", "beta-4"], 2)]
GAMMA = [image("A", ["alpha-1", "beta-1", "gamma-1"], 10), image("B", ["alpha-2", "beta-2"], 9),
         image("C", ["alpha-3", "beta-3", "gamma-2"], 8)]
# lifecycle_policy_examples.html: each example's repository, policy and the outcome the page states
USER_GUIDE = {
    "filtering-on-image-age": (
        [rule(1, age("tagged", "sinceImagePushed", 14, tagPatternList=["prod*"]))],
        [image("old-prod", ["prod-1"], 15), image("new-prod", ["prod2"], 13), image("old-dev", ["dev"], 30)],
        {"old-prod": (EXPIRE, 1)}),
    "filtering-on-image-count": (
        [rule(1, count("untagged", 1))],
        [image("u1", [], 3), image("u2", [], 2), image("u3", [], 1), image("t", ["v1"], 9)],
        {"u1": (EXPIRE, 1), "u2": (EXPIRE, 1)}),
    "multiple-rules-example-a": (
        [rule(1, count("tagged", 1, tagPrefixList=["prod"])), rule(2, count("tagged", 1, tagPrefixList=["beta"]))],
        TRIO, {"A": (EXPIRE, 1)}),
    "multiple-rules-example-b": (
        [rule(1, count("tagged", 1, tagPrefixList=["beta"])), rule(2, count("tagged", 1, tagPrefixList=["prod"]))],
        TRIO, {"A": (EXPIRE, 1), "B": (EXPIRE, 1)}),
    "multiple-tags-in-a-rule-example-a": (
        [rule(1, age("tagged", "sinceImagePushed", 5, tagPrefixList=["alpha", "beta"]))], SIX, {"C": (EXPIRE, 1)}),
    "multiple-tags-in-a-rule-example-b": (
        [rule(1, count("tagged", 1, tagPrefixList=["alpha", "beta"]))], GAMMA, {"A": (EXPIRE, 1), "B": (EXPIRE, 1)}),
    "multiple-patterns-in-a-rule": (
        [rule(1, age("tagged", "sinceImagePushed", 5, tagPatternList=["alpha*", "beta*"]))], SIX, {"C": (EXPIRE, 1)}),
    "archive-not-pulled-then-delete-after-a-year": (
        [rule(1, age("any", "sinceImagePulled", 90), {"type": "transition", "targetStorageClass": "archive"}),
         rule(2, age("any", "sinceImageTransitioned", 365, storageClass="archive"))],
        [image("pulled", ["v3"], 400, pulled_days=1), image("idle", ["v2"], 400, pulled_days=120),
         image("gone-long", ["v1"], 900, status="ARCHIVED", archived_days=400),
         image("gone-lately", ["v0"], 900, status="ARCHIVED", archived_days=30)],
        {"idle": (ARCHIVE, 1), "gone-long": (EXPIRE, 2)}),
}


@pytest.mark.parametrize("rules, images, expected", USER_GUIDE.values(), ids=USER_GUIDE.keys())
def test_the_user_guides_examples(rules, images, expected):
    assert chosen(run(rules, images)) == expected


def test_a_selected_image_names_its_rule():
    outcome = run([rule(3, count("untagged", 1), description="Keep one untagged")], [image("u1", [], 2), image("u2", [], 1)])
    assert outcome.selected["u1"].rule == 'rule 3 ("Keep one untagged")' and outcome.selected["u1"].certain


def test_a_tie_across_the_count_names_each_tied_image_as_uncertain():
    images = [image("new", [], 1), image("tie-1", [], 5), image("tie-2", [], 5), image("old", [], 9)]
    outcome = run([rule(1, count("untagged", 2))], images)
    assert {d: pick.certain for d, pick in outcome.selected.items()} == {"tie-1": False, "tie-2": False, "old": True}


def test_a_tie_inside_the_kept_count_is_certain():
    images = [image("tie-1", [], 5), image("tie-2", [], 5), image("old", [], 9)]
    assert {d: p.certain for d, p in run([rule(1, count("untagged", 2))], images).selected.items()} == {"old": True}


def test_an_any_rule_leaves_images_a_higher_rule_selects_to_that_rule():
    images = [image("u", [], 30), image("rel", ["release-1"], 30), image("dev", ["dev-1"], 30)]
    rules = [rule(1, count("tagged", 5, tagPrefixList=["release"])), rule(2, age("any", "sinceImagePushed", 14))]
    assert chosen(run(rules, images)) == {"dev": (EXPIRE, 2), "u": (EXPIRE, 2)}


def test_an_image_whose_tags_match_two_rules_belongs_to_the_first():
    images = [image("both", ["prod-1", "test-1"], 30)]
    rules = [rule(1, age("tagged", "sinceImagePushed", 60, tagPatternList=["prod*"])),
             rule(2, age("tagged", "sinceImagePushed", 7, tagPatternList=["*test*"]))]
    assert chosen(run(rules, images)) == {}


def test_wildcards_match_whole_tags_and_prefixes_match_beginnings():
    images = [image("a", ["v1-prod"], 30), image("b", ["prod-v1"], 30), image("c", ["prod"], 30)]
    patterns = run([rule(1, age("tagged", "sinceImagePushed", 7, tagPatternList=["*prod"]))], images)
    prefixes = run([rule(1, age("tagged", "sinceImagePushed", 7, tagPrefixList=["prod"]))], images)
    assert (sorted(patterns.selected), sorted(prefixes.selected)) == (["a", "c"], ["b", "c"])


def test_standard_rules_leave_archived_images_and_archive_rules_active_ones():
    images = [image("active", ["v1"], 500, pulled_days=500), image("archived", ["v0"], 500, status="ARCHIVED",
                                                                   archived_days=500),
              image("restoring", ["v2"], 500, status="ACTIVATING", archived_days=500)]
    assert chosen(run([rule(1, age("any", "sinceImagePushed", 30))], images)) == {"active": (EXPIRE, 1)}
    assert chosen(run([rule(1, age("any", "sinceImageTransitioned", 90, storageClass="archive"))], images)) == \
        {"archived": (EXPIRE, 1)}


@pytest.mark.parametrize("pulled, activated, archived", [(None, None, True), (200, None, True), (10, None, False),
                                                         (None, 10, False), (200, 10, False)],
                         ids=["never-pulled-uses-push", "pulled-long-ago", "pulled-lately", "restored-lately",
                              "restored-after-its-last-pull"])
def test_since_image_pulled_falls_back_to_a_restore_then_the_push(pulled, activated, archived):
    images = [image("x", ["v1"], 365, pulled_days=pulled, activated_days=activated)]
    outcome = run([rule(1, age("any", "sinceImagePulled", 90), {"type": "transition", "targetStorageClass": "archive"})],
                  images)
    assert ("x" in outcome.selected) is archived


def test_an_image_an_index_lists_waits_for_its_index():
    images = [image("index", ["v1"], 1), image("amd64", [], 30), image("arm64", [], 30), image("stray", [], 30)]
    children = {"index": ("amd64", "arm64")}
    outcome = run([rule(1, age("untagged", "sinceImagePushed", 7))], images, index_children=children)
    assert chosen(outcome) == {"stray": (EXPIRE, 1)}
    everything = run([rule(1, age("any", "sinceImagePushed", 1))], images[1:] + [image("index", ["v1"], 30)],
                     index_children=children)
    assert {d: p.certain for d, p in everything.selected.items()} == {"amd64": False, "arm64": False, "stray": True,
                                                                     "index": True}


@pytest.mark.parametrize("rules, reason", [
    ([rule(1, count("tagged", 1))], "rule 1: tagStatus tagged takes one of"),
    ([rule(1, count("untagged", 1, tagPrefixList=["v"]))], "rule 1: tagStatus tagged takes one of"),
    ([rule(1, count("tagged", 1, tagPrefixList=["a"], tagPatternList=["b*"]))], "rule 1: tagStatus tagged takes one of"),
    ([rule(1, count("any", 0))], "rule 1: countNumber is not a positive integer"),
    ([rule(1, {**count("any", 1), "countUnit": "days"})], "rule 1: countUnit without an age"),
    ([rule(1, {**age("any", "sinceImagePushed", 1), "countUnit": "hours"})], "rule 1: countUnit must be days"),
    ([rule(1, age("any", "sinceImageTransitioned", 90))], "rule 1: storageClass 'standard' with sinceImageTransitioned"),
    ([rule(1, count("any", 1), {"type": "transition"})], "rule 1: action 'transition' is neither"),
    ([rule(1, count("sometimes", 1))], "rule 1: unknown tagStatus 'sometimes'"),
    ([rule(1, {**count("any", 1), "countType": "sinceImageBuilt"})], "rule 1: unknown countType 'sinceImageBuilt'"),
    ([rule(2, count("untagged", 1)), rule(2, count("any", 1))], "two rules with rulePriority 2"),
    ([{"rulePriority": "1", "selection": count("any", 1), "action": {"type": "expire"}}],
     "rule #1: rulePriority is not an integer"),
    ([], "no rules list"),
], ids=["tagged-without-lists", "untagged-with-a-list", "both-lists", "zero-count", "count-with-unit", "hours",
        "transitioned-of-standard", "transition-without-target", "odd-tag-status", "odd-count-type",
        "duplicate-priority", "string-priority", "no-rules"])
def test_a_policy_that_cannot_be_read_is_named_not_guessed(rules, reason):
    outcome = evaluate(json.dumps({"rules": rules}), [image("a", [], 1)], NOW)
    assert isinstance(outcome, PolicyError) and outcome.reason.startswith(reason), outcome


def test_text_that_is_not_json_is_named():
    outcome = evaluate("rules: [", [], NOW)
    assert isinstance(outcome, PolicyError) and outcome.reason.startswith("not JSON")

"""What a repository's lifecycle policy will expire or archive (pure), by ECR's documented semantics.

docs/ecr-lifecycle.md says which pages these come from and what is chosen where they are silent:
every rule identifies the images it selects as if no other rule existed; then, in rulePriority order
(lowest first), an image that a higher-priority rule selected (by its tags and storage class) is
left to that rule, so each image is expired or archived by at most one rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from ecr_usage_report.analysis.policy import PolicyError, load, strings
from ecr_usage_report.inventory import storage
from ecr_usage_report.inventory.model import Image

EXPIRE, ARCHIVE = "expire", "archive"  # what happens to a selected image
STANDARD = "standard"  # the storage class of an ACTIVE image; "archive" is an ARCHIVED one's
TAG_STATUSES = ("tagged", "untagged", "any")
COUNT, PUSHED = "imageCountMoreThan", "sinceImagePushed"
PULLED, TRANSITIONED = "sinceImagePulled", "sinceImageTransitioned"
AGE_TYPES = (PUSHED, PULLED, TRANSITIONED)


@dataclass(frozen=True)
class Rule:
    """One rule of a lifecycle policy."""

    priority: int
    description: str
    tag_status: str  # tagged, untagged or any
    prefixes: tuple[str, ...]  # tagPrefixList: every prefix must begin one of the image's tags
    patterns: tuple[str, ...]  # tagPatternList: every pattern (with * wildcards) must match one of its tags
    storage_class: str  # standard or archive
    count_type: str
    count_number: int
    action: str  # EXPIRE or ARCHIVE

    def selects(self, image: Image) -> bool:
        """Whether its selection (tag status, tag lists, storage class) takes in the image."""
        if storage_class(image) != self.storage_class:
            return False
        if self.tag_status == "untagged":
            return not image.tags
        if self.tag_status == "any":
            return True
        return bool(image.tags) and all(any(tag.startswith(p) for tag in image.tags) for p in self.prefixes) \
            and all(any(matcher(p).fullmatch(tag) for tag in image.tags) for p in self.patterns)


@dataclass(frozen=True)
class Selected:
    """An image the policy will expire or archive, and the rule that selects it."""

    digest: str
    action: str  # EXPIRE or ARCHIVE
    priority: int
    description: str
    certain: bool = True  # False: ECR picks among images pushed at the same moment, or after its index goes

    @property
    def rule(self) -> str:
        """How a report names the rule: `rule 2 ("Keep 5 release images")`."""
        return f'rule {self.priority}' + (f' ("{self.description}")' if self.description else "")


@dataclass(frozen=True)
class Outcome:
    """What one evaluation of the policy selects, by digest; an image not here stays as it is."""

    rules: tuple[Rule, ...]
    selected: Mapping[str, Selected]


def storage_class(image: Image) -> str | None:
    """The lifecycle storage class of an image; None while it is being restored (no rule selects it)."""
    if image.status == storage.ACTIVE:
        return STANDARD
    return ARCHIVE if image.status == "ARCHIVED" else None


def matcher(pattern: str) -> re.Pattern[str]:
    """A tagPatternList pattern as a regular expression: `*` is any run of characters."""
    return re.compile(".*".join(map(re.escape, pattern.split("*"))))


def evaluate(policy_text: str | None, images: Iterable[Image], now: datetime,
             index_children: Mapping[str, tuple[str, ...]] | None = None) -> Outcome | PolicyError:
    """What one evaluation of a lifecycle policy selects among a repository's images at `now`.

    Args:
        policy_text: GetLifecyclePolicy's lifecyclePolicyText.
        images: every image of the repository, active and archived.
        now: when it is evaluated (an aware datetime, as the images' times are).
        index_children: an index's digest -> the digests its manifest lists (Repository.index_children).

    Returns:
        The selected images, or a PolicyError naming why the policy could not be read.
    """
    rules = parse(policy_text)
    if isinstance(rules, PolicyError):
        return rules
    images = tuple(images)
    selected: dict[str, Selected] = {}
    claimed: set[str] = set()  # images a higher-priority rule selects: no lower rule acts on them
    for rule in rules:
        seen = [image for image in images if rule.selects(image)]
        for image, certain in marked(rule, seen, now):
            if image.digest not in claimed:
                selected[image.digest] = Selected(image.digest, rule.action, rule.priority, rule.description, certain)
        claimed.update(image.digest for image in seen)
    return Outcome(rules, held_by_indexes(selected, images, index_children or {}))


def marked(rule: Rule, seen: list[Image], now: datetime) -> list[tuple[Image, bool]]:
    """The images a rule marks among those it selects, each with whether ECR's choice is certain."""
    if rule.count_type == COUNT:
        newest = sorted(seen, key=pushed_key, reverse=True)
        if len(newest) <= rule.count_number:
            return []
        gone = newest[rule.count_number:]
        edge = pushed_key(gone[0])
        if pushed_key(newest[rule.count_number - 1]) != edge:
            return [(image, True) for image in gone]
        # pushed at the same moment across the count: which of them ECR keeps is not documented
        return [(image, pushed_key(image) != edge) for image in newest if pushed_key(image) <= edge]
    limit = now - timedelta(days=rule.count_number)
    return [(image, True) for image in seen if (since := age_start(rule.count_type, image)) and since < limit]


def pushed_key(image: Image) -> float:
    """Push time for sorting; an image without one sorts oldest."""
    return image.pushed_at.timestamp() if image.pushed_at else float("-inf")


def age_start(count_type: str, image: Image) -> datetime | None:
    """When an age rule's clock started for the image: a pull falls back to a restore, then to the push."""
    if count_type == PUSHED:
        return image.pushed_at
    if count_type == TRANSITIONED:
        return image.last_archived_at
    used = [at for at in (image.last_pulled_at, image.last_activated_at) if at is not None]
    return max(used) if used else image.pushed_at


def held_by_indexes(selected: dict[str, Selected], images: tuple[Image, ...],
                    index_children: Mapping[str, tuple[str, ...]]) -> dict[str, Selected]:
    """ECR expires or archives no image an index lists until that index is gone or archived: one whose
    index stays is held back; one whose index is selected too is uncertain (the docs do not say when)."""
    archived = {image.digest for image in images if storage_class(image) == ARCHIVE}
    parents: dict[str, list[str]] = {}
    for index, children in index_children.items():
        for child in children:
            parents.setdefault(child, []).append(index)
    kept: dict[str, Selected] = {}
    for digest, choice in selected.items():
        waiting = [index for index in parents.get(digest, ()) if index not in archived]
        if any(index not in selected for index in waiting):
            continue
        kept[digest] = choice if not waiting else Selected(digest, choice.action, choice.priority,
                                                           choice.description, certain=False)
    return kept


def parse(policy_text: str | None) -> tuple[Rule, ...] | PolicyError:
    """The rules of a lifecycle policy in rulePriority order, or the first thing that makes it unreadable."""
    document = load(policy_text)
    if isinstance(document, PolicyError):
        return document
    entries = document.get("rules")
    if not isinstance(entries, list) or not entries:
        return PolicyError("no rules list")
    rules: list[Rule] = []
    for number, entry in enumerate(entries, 1):
        rule = parse_rule(entry)
        if isinstance(rule, str):
            named = entry.get("rulePriority") if isinstance(entry, dict) else None
            return PolicyError(f"rule {named if is_count(named) else f'#{number}'}: {rule}")
        if any(other.priority == rule.priority for other in rules):
            return PolicyError(f"two rules with rulePriority {rule.priority}")
        rules.append(rule)
    return tuple(sorted(rules, key=lambda rule: rule.priority))


def parse_rule(entry: Any) -> Rule | str:
    """One rule, or why it cannot be read."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    priority, selection, action = entry.get("rulePriority"), entry.get("selection"), entry.get("action")
    if not is_count(priority):
        return "rulePriority is not an integer"
    if not isinstance(selection, dict) or not isinstance(action, dict):
        return "no selection or no action"
    tag_status, count_type = selection.get("tagStatus"), selection.get("countType")
    number = selection.get("countNumber")
    prefixes, patterns = (strings(selection.get(key, [])) for key in ("tagPrefixList", "tagPatternList"))
    if tag_status not in TAG_STATUSES:
        return f"unknown tagStatus {tag_status!r}"
    if prefixes is None or patterns is None:
        return "tagPrefixList and tagPatternList must be lists of strings"
    if (tag_status == "tagged") != bool(prefixes or patterns) or (prefixes and patterns):
        return "tagStatus tagged takes one of tagPrefixList or tagPatternList, the others neither"
    if count_type not in (COUNT, *AGE_TYPES):
        return f"unknown countType {count_type!r}"
    if not is_count(number) or number < 1:
        return "countNumber is not a positive integer"
    if (count_type in AGE_TYPES) != (selection.get("countUnit") == "days"):
        return f"countUnit must be days with {count_type}" if count_type in AGE_TYPES else "countUnit without an age"
    kept_in = selection.get("storageClass", STANDARD)
    if kept_in != (ARCHIVE if count_type == TRANSITIONED else STANDARD):
        return f"storageClass {kept_in!r} with {count_type}"
    kind = action.get("type")
    if kind == "transition" and action.get("targetStorageClass") == ARCHIVE and kept_in == STANDARD:
        act = ARCHIVE
    elif kind == "expire":
        act = EXPIRE
    else:
        return f"action {kind!r} is neither expire nor a transition of standard images to archive"
    description = entry.get("description", "")
    return Rule(priority, description if isinstance(description, str) else "", tag_status, prefixes, patterns,
                kept_in, count_type, number, act)


def is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

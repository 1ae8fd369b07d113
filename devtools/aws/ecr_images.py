"""What ECR tells of its images that moto 5.2.5 does not: storage class, index sizes, referrers, pulls.

The simulated ECR (ecr.Ecr) keeps one EcrImages and answers through it: moto ignores DescribeImages'
`filter`, has no archive, reports no size for an image index, knows no referrers, gives an index
a random digest, records no pull when BatchGetImage reads a manifest, and refuses a lifecycle
policy that archives (a transition action, storageClass, sinceImagePulled, sinceImageTransitioned).
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any

from devtools.aws.protocol import ACCOUNT

ACTIVE, ARCHIVED = "ACTIVE", "ARCHIVED"
IMAGE_STATUSES = (ACTIVE, ARCHIVED, "ACTIVATING")
INDEX_MEDIA_TYPES = frozenset({"application/vnd.docker.distribution.manifest.list.v2+json",
                               "application/vnd.oci.image.index.v1+json"})
PRINCIPAL_PATTERN = re.compile(r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[\w+=,.@-]+(/[\w+=,.@-]+)*$")
HIDDEN_TAG_PREFIX = "layer-untagged-"  # keeps in moto an image a moved tag left untagged; never shown
ImageKey = tuple[str, str, str]  # (region, repository, digest)
ARCHIVE_COUNT_TYPES = {"sinceImagePulled", "sinceImageTransitioned"}


def manifest_digest(manifest: str) -> str:
    """The digest AWS gives a manifest: the SHA-256 of its bytes as pushed."""
    return "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()


def parsed(manifest: str) -> dict[str, Any]:
    """A manifest as JSON ({} when it is not a JSON object)."""
    try:
        doc = json.loads(manifest)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def principal_of(access_key: str, principals: dict[str, str]) -> str:
    """The IAM principal a request is made as: as given in `principals`, else a user named after its key."""
    return principals.get(access_key, f"arn:aws:iam::{ACCOUNT}:user/{access_key}")


class EcrImages:
    """The image facts the simulated ECR adds to moto's; thread-safe.

    A manifest's facts are kept by digest, which is its content's hash, so they never go stale;
    archive state and pulls are kept by (region, repository, digest).
    """

    def __init__(self) -> None:
        self.principals: dict[str, str] = {}  # access key -> IAM principal ARN, for pull-time exclusions
        self._manifests: dict[str, dict[str, Any]] = {}
        self._archived: dict[ImageKey, float] = {}  # -> when it was archived (epoch seconds)
        self._activated: dict[ImageKey, float] = {}
        self._pulls: dict[ImageKey, float] = {}
        self._exclusions: dict[str, dict[str, float]] = {}  # region -> principal ARN -> when registered
        self.lifecycle_texts: dict[tuple[str, str], str] = {}  # (region, repository) -> the policy as put
        self._lock = threading.Lock()

    @staticmethod
    def lifecycle_for_moto(policy_text: str) -> str:
        """A lifecycle policy with its archive parts put in terms moto knows, for moto to check the rest;
        a text that is not such a policy is given back as it is, for moto to refuse."""
        try:
            policy = json.loads(policy_text)
            for rule in policy["rules"]:
                selection, action = rule["selection"], rule["action"]
                if action == {"type": "transition", "targetStorageClass": "archive"}:
                    rule["action"] = {"type": "expire"}
                if selection.get("storageClass") in ("standard", "archive"):
                    del selection["storageClass"]
                if selection.get("countType") in ARCHIVE_COUNT_TYPES:
                    selection["countType"] = "sinceImagePushed"
        except (ValueError, KeyError, TypeError, AttributeError):
            return policy_text
        return json.dumps(policy)

    def reset(self) -> None:
        """Forget every image fact, archive state, pull, exclusion and lifecycle policy."""
        with self._lock:
            self.principals.clear()
            for kept in (self._manifests, self._archived, self._activated, self._pulls, self._exclusions,
                         self.lifecycle_texts):
                kept.clear()

    # ---- pushes, archive and pulls --------------------------------------------------

    def pushed(self, manifest: str) -> str:
        """Remember a pushed manifest; its digest."""
        digest = manifest_digest(manifest)
        with self._lock:
            self._manifests[digest] = parsed(manifest)
        return digest

    def manifest(self, digest: str) -> dict[str, Any]:
        """A pushed manifest's JSON ({} when unknown)."""
        with self._lock:
            return self._manifests.get(digest, {})

    def is_archived(self, key: ImageKey) -> bool:
        """Whether the image is in the archive storage class."""
        with self._lock:
            return key in self._archived

    def move(self, key: ImageKey, target: str, now: float) -> str:
        """Move an image to the ARCHIVE or STANDARD storage class; its status as UpdateImageStorageClass answers it.

        A restore is immediate here (AWS takes up to 20 minutes, ACTIVATING meanwhile).
        """
        with self._lock:
            if target == "ARCHIVE":
                self._archived.setdefault(key, now)
                return ARCHIVED
            if self._archived.pop(key, None) is not None:
                self._activated[key] = now
                return "ACTIVATING"
            return ACTIVE

    def pulled(self, key: ImageKey, access_key: str, now: float) -> None:
        """Record a pull of the image's manifest, unless the caller is on the region's exclusion list."""
        region = key[0]
        with self._lock:
            if principal_of(access_key, self.principals) not in self._exclusions.get(region, {}):
                self._pulls[key] = now

    # ---- pull-time update exclusions ----------------------------------------------

    def exclude(self, region: str, principal: str, now: float) -> bool:
        """Add a principal to the region's exclusion list; False when it was already there."""
        with self._lock:
            listed = self._exclusions.setdefault(region, {})
            if principal in listed:
                return False
            listed[principal] = now
            return True

    def include(self, region: str, principal: str) -> bool:
        """Remove a principal from the region's exclusion list; False when it was not there."""
        with self._lock:
            return self._exclusions.get(region, {}).pop(principal, None) is not None

    def exclusions(self, region: str) -> list[str]:
        """The region's excluded principals, in the order they were added."""
        with self._lock:
            return list(self._exclusions.get(region, {}))

    # ---- DescribeImages ------------------------------------------------------------

    def described(self, region: str, repository: str, details: list[dict[str, Any]],
                  image_filter: dict[str, Any] | None) -> list[dict[str, Any]]:
        """moto's imageDetails of a whole repository as AWS lists them, filtered as asked.

        With no `imageStatus` filter, only ACTIVE images are listed, as botocore's model says of AWS.
        """
        self.complete(region, repository, details)
        wanted = (image_filter or {}).get("imageStatus") or ACTIVE
        tags = (image_filter or {}).get("tagStatus") or "ANY"
        return [detail for detail in details
                if wanted in ("ANY", detail["imageStatus"])
                and (tags == "ANY" or (tags == "TAGGED") == bool(detail.get("imageTags")))]

    def complete(self, region: str, repository: str, details: list[dict[str, Any]],
                 sizes: dict[str, Any] | None = None) -> None:
        """Add what AWS tells of each image and moto does not; `sizes` (digest -> bytes) of the
        repository's images size an index, by default those of `details`."""
        if sizes is None:
            sizes = {detail.get("imageDigest"): detail.get("imageSizeInBytes") for detail in details}
        for detail in details:
            self._complete(region, repository, detail, sizes)

    def _complete(self, region: str, repository: str, detail: dict[str, Any], sizes: dict[str, Any]) -> None:
        """Add what AWS tells of one image; values already set (image_overrides) are kept."""
        digest = detail.get("imageDigest", "")
        key = (region, repository, digest)
        tags = [tag for tag in detail.pop("imageTags", None) or [] if not tag.startswith(HIDDEN_TAG_PREFIX)]
        if tags:  # AWS leaves imageTags out of an untagged image's detail
            detail["imageTags"] = tags
        manifest = self.manifest(digest)
        is_index = detail.get("imageManifestMediaType") in INDEX_MEDIA_TYPES
        if is_index and detail.get("imageSizeInBytes") is None:
            children = [sizes.get(entry.get("digest")) for entry in manifest.get("manifests") or []]
            known = [size for size in children if size is not None]
            if known:  # "If the image is a manifest list, this will be the max size of all manifests in the list."
                detail["imageSizeInBytes"] = max(known)
        config = {} if is_index else manifest.get("config") or {}
        artifact = manifest.get("artifactType") or config.get("mediaType")
        if artifact:
            detail.setdefault("artifactMediaType", artifact)
        subject = (manifest.get("subject") or {}).get("digest")
        if subject:
            detail.setdefault("subjectManifestDigest", subject)
        with self._lock:
            archived_at, activated_at, pulled_at = (self._archived.get(key), self._activated.get(key),
                                                    self._pulls.get(key))
        detail.setdefault("imageStatus", ARCHIVED if archived_at is not None else ACTIVE)
        if archived_at is not None:
            detail.setdefault("lastArchivedAt", archived_at)
        if activated_at is not None:
            detail.setdefault("lastActivatedAt", activated_at)
        if pulled_at is not None:
            detail["lastRecordedPullTime"] = max(pulled_at, float(detail.get("lastRecordedPullTime") or 0))

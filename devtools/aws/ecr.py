"""ECR as AWS answers it where moto 5.2.5 does not: pages, storage class and archive, index sizes,
referrers, pulls and their exclusion list, lifecycle policies that archive (the image facts are
ecr_images.EcrImages')."""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from devtools.aws.core import AwsLayer, Service
from devtools.aws.ecr_images import ACCOUNT, HIDDEN_TAG_PREFIX, PRINCIPAL_PATTERN, EcrImages
from devtools.aws.paging import one_page, page_bounds
from devtools.aws.sts import access_key_of, account_of_key
from devtools.aws.protocol import (Handler, Request, Response, access_key, error_response, json_answer,
                                   json_request, rewrite)

ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921"
ECR_PAGE = (100, 1000)  # (default, max)
BATCH_GET_IMAGE_MAX = 100  # imageIds in one BatchGetImage (botocore's model: max 100)
IMAGE_TAG_RE = re.compile(r"^(?P<host>[^/]+\.amazonaws\.com)/(?P<repo>[^:@]+):(?P<tag>[^:@/]+)$")


def ask_ecr(layer: AwsLayer, region: str, akid: str, operation: str, params: dict) -> Response:
    """An ECR call answered by moto in-process: not counted, failed, throttled or edited."""
    scope = f"{akid or 'testing'}/20260101/{region}/ecr/aws4_request"
    return layer.call_app(json_request(ECR_TARGET, operation, params, f"AWS4-HMAC-SHA256 Credential={scope}, "
                                                                      "SignedHeaders=host;x-amz-target, Signature=0"))


def resolve_tag(layer: AwsLayer, region: str, akid: str, repo: str, tag: str) -> str | None:
    """Digest of repo:tag, asked from moto's ECR in-process."""
    resp = ask_ecr(layer, region, akid, "DescribeImages", {"repositoryName": repo, "imageIds": [{"imageTag": tag}]})
    details = (resp.json() or {}).get("imageDetails") if resp.ok else None
    return details[0].get("imageDigest") if details else None


def tag_digest(layer: AwsLayer, akid: str, image_uri: str) -> str | None:
    """The digest a private ECR image URI's tag resolves to now (None for any other URI, or an unknown tag)."""
    match = IMAGE_TAG_RE.match(image_uri)
    if not match:
        return None
    registry = match["host"].split(".")[0]
    if registry != account_of_key(akid or "testing"):  # another account's image: resolved in its own registry
        akid = "testing" if registry == ACCOUNT else access_key_of(registry) or akid
    return resolve_tag(layer, match["host"].split(".")[3], akid or "testing", match["repo"], match["tag"])


class Ecr(Service):
    """ECR's repositories and images; `image_overrides` (by digest) and `repository_overrides` (by
    (region, repository)) set the fields moto cannot: sizes, push and pull dates, creation dates."""

    name = "ecr"

    def __init__(self) -> None:
        self.image_overrides: dict = {}
        self.repository_overrides: dict = {}  # (region, repository) -> DescribeRepositories fields, e.g. createdAt
        self.images = EcrImages()  # storage class, index sizes, referrers, pulls and exclusions

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        return {("ecr", operation): handler for operation, handler in {
            "DescribeRepositories": self._describe_repositories,
            "DescribeImages": self._describe_images,
            "PutImage": self._put_image,
            "BatchGetImage": self._batch_get_image,
            "UpdateImageStorageClass": self._update_image_storage_class,
            "RegisterPullTimeUpdateExclusion": self._register_exclusion,
            "DeregisterPullTimeUpdateExclusion": self._deregister_exclusion,
            "ListPullTimeUpdateExclusions": self._list_exclusions,
            "PutLifecyclePolicy": self._put_lifecycle_policy,
            "GetLifecyclePolicy": self._get_lifecycle_policy,
        }.items()}

    def reset(self) -> None:
        """Forget the overrides and every image fact."""
        self.images.reset()
        self.image_overrides.clear()
        self.repository_overrides.clear()

    def _page(self, req: Request, key: str, filter_key: str, edit: Callable[[dict], None]) -> Response:
        """Page an ECR listing like AWS (maxResults / nextToken), after image_overrides and `edit`."""
        params = req.json()
        if params.get(filter_key):
            return rewrite(rewrite(self.layer.forward(req), self._override_images), edit)
        try:
            offset, size = page_bounds(params, ECR_PAGE, self.layer.shorten)
        except ValueError:
            return error_response(req.service, "InvalidParameterException",
                                  "Invalid parameter at 'nextToken' or 'maxResults'", 400)
        resp = self.layer.forward(req, json.dumps(params).encode())
        resp = rewrite(rewrite(resp, self._override_images), edit)
        return rewrite(resp, lambda doc: one_page(doc, key, "nextToken", offset, size))

    def _override_images(self, doc: dict) -> None:
        """Apply image_overrides to DescribeImages imageDetails."""
        for detail in doc.get("imageDetails") or []:
            detail.update(self.image_overrides.get(detail.get("imageDigest"), {}))

    def _describe_repositories(self, req: Request) -> Response:
        """Repositories paged, with repository_overrides (moto dates each at its creation)."""
        def override(doc: dict) -> None:
            for repository in doc.get("repositories") or []:
                repository.update(self.repository_overrides.get((req.region, repository.get("repositoryName")), {}))

        return self._page(req, "repositories", "repositoryNames", override)

    def _describe_images(self, req: Request) -> Response:
        """DescribeImages as AWS answers it: storage class and its filter, index sizes, referrers, pulls."""
        params = req.json()
        repository = params.get("repositoryName", "")

        def complete(doc: dict) -> None:
            details = doc.get("imageDetails") or []
            if params.get("imageIds"):  # an index's size is its platform images', which may not be asked for
                self.images.complete(req.region, repository, details,
                                     self._image_sizes(req.region, access_key(req.environ), repository))
            else:
                doc["imageDetails"] = self.images.described(req.region, repository, details, params.get("filter"))

        return self._page(req, "imageDetails", "imageIds", complete)

    def _put_lifecycle_policy(self, req: Request) -> Response:
        """PutLifecyclePolicy with archive rules, which moto refuses: moto checks the rest and keeps a copy
        in its terms; the policy as put is what GetLifecyclePolicy answers."""
        params = req.json()
        text = params.get("lifecyclePolicyText")
        if not isinstance(text, str):
            return self.layer.forward(req)
        resp = self.layer.forward(req, json.dumps({**params, "lifecyclePolicyText": self.images.lifecycle_for_moto(text)})
                                  .encode())
        if resp.ok:
            self.images.lifecycle_texts[(req.region, params.get("repositoryName", ""))] = text
        return rewrite(resp, lambda doc: doc.update(lifecyclePolicyText=text))

    def _get_lifecycle_policy(self, req: Request) -> Response:
        """GetLifecyclePolicy answering the policy as it was put (moto keeps its own terms of an archive rule)."""
        text = self.images.lifecycle_texts.get((req.region, req.json().get("repositoryName", "")))
        resp = self.layer.forward(req)
        return rewrite(resp, lambda doc: doc.update(lifecyclePolicyText=text)) if text else resp

    def _image_sizes(self, region: str, akid: str, repository: str) -> dict[str, Any]:
        """Every image's size in a repository, image_overrides applied (digest -> bytes or None)."""
        resp = ask_ecr(self.layer, region, akid, "DescribeImages", {"repositoryName": repository})
        doc = (resp.json() or {}) if resp.ok else {}
        self._override_images(doc)
        return {detail.get("imageDigest"): detail.get("imageSizeInBytes") for detail in doc.get("imageDetails") or []}

    def _put_image(self, req: Request) -> Response:
        """Give a pushed manifest the digest AWS gives it, its SHA-256 (moto's is random for an index),
        and keep the image a moved tag leaves untagged, as AWS does (moto deletes it)."""
        params = req.json()
        manifest = params.get("imageManifest")
        if not isinstance(manifest, str):
            return self.layer.forward(req)
        digest = self.images.pushed(manifest)
        if params.get("imageTag"):
            self._keep_image_of_tag(req.region, access_key(req.environ), params.get("repositoryName", ""),
                                    params["imageTag"], digest)
        return self.layer.forward(req, json.dumps({"imageDigest": digest, **params}).encode())

    def _keep_image_of_tag(self, region: str, akid: str, repository: str, tag: str, new_digest: str) -> None:
        """Before `tag` moves to another manifest, give the image holding it alone a hidden tag:
        moto then only removes `tag` from it, and the layer never shows the hidden tag."""
        found = ask_ecr(self.layer, region, akid, "BatchGetImage",
                        {"repositoryName": repository, "imageIds": [{"imageTag": tag}]})
        [image] = (found.json() or {}).get("images") or [None] if found.ok else [None]
        if image is None or image["imageId"]["imageDigest"] == new_digest:
            return
        listed = ask_ecr(self.layer, region, akid, "DescribeImages",
                         {"repositoryName": repository, "imageIds": [{"imageTag": tag}]})
        [detail] = (listed.json() or {}).get("imageDetails") or [{}]
        if detail.get("imageTags") == [tag]:
            ask_ecr(self.layer, region, akid, "PutImage", {
                "repositoryName": repository, "imageManifest": image["imageManifest"],
                "imageDigest": image["imageId"]["imageDigest"],
                "imageTag": HIDDEN_TAG_PREFIX + image["imageId"]["imageDigest"][7:19]})

    def _batch_get_image(self, req: Request) -> Response:
        """BatchGetImage as AWS answers it: at most 100 images, an archived one cannot be read, each
        failure names the image asked for, and every manifest read records a pull unless the caller
        is on the region's pull-time update exclusion list."""
        params = req.json()
        asked = params.get("imageIds") or []
        if len(asked) > BATCH_GET_IMAGE_MAX:
            return error_response(req.service, "ValidationException",
                                  "1 validation error detected: Value at 'imageIds' failed to satisfy constraint: "
                                  f"Member must have length less than or equal to {BATCH_GET_IMAGE_MAX}", 400)
        resp = self.layer.forward(req)
        doc = resp.json() if resp.ok else None
        if not isinstance(doc, dict):
            return resp
        repository, akid = params.get("repositoryName", ""), access_key(req.environ)
        found = {image["imageId"]["imageDigest"]: image for image in doc.get("images") or []}
        images, failures = [], []
        for image_id in asked:
            digest = image_id.get("imageDigest") or resolve_tag(self.layer, req.region, akid, repository,
                                                                image_id.get("imageTag", ""))
            key = (req.region, repository, digest or "")
            if digest not in found or self.images.is_archived(key):  # an archived image cannot be pulled
                failures.append({"imageId": image_id, "failureCode": "ImageNotFound",
                                 "failureReason": "Requested image not found"})
                continue
            images.append({**found[digest], "imageId": {**image_id, "imageDigest": digest}})
            self.images.pulled(key, akid, self.layer.wall_clock())
        return resp.with_json({**doc, "images": images, "failures": failures})

    def _update_image_storage_class(self, req: Request) -> Response:
        """Archive an image or restore it (moto has no archive)."""
        params = req.json()
        repository, image_id = params.get("repositoryName", ""), params.get("imageId") or {}
        target = params.get("targetStorageClass")
        if target not in ("ARCHIVE", "STANDARD"):
            return error_response(req.service, "InvalidParameterException",
                                  f"Invalid parameter at 'targetStorageClass': {target!r}", 400)
        found = ask_ecr(self.layer, req.region, access_key(req.environ), "DescribeImages",
                        {"repositoryName": repository, "imageIds": [image_id]})
        details = (found.json() or {}).get("imageDetails") if found.ok else None
        if not details:
            return found if not found.ok else error_response(
                req.service, "ImageNotFoundException", f"The image {image_id} does not exist", 400)
        digest = details[0]["imageDigest"]
        status = self.images.move((req.region, repository, digest), target, self.layer.wall_clock())
        return json_answer({"registryId": ACCOUNT, "repositoryName": repository,
                            "imageId": {**image_id, "imageDigest": digest}, "imageStatus": status})

    def _register_exclusion(self, req: Request) -> Response:
        """Add a principal to the region's pull-time update exclusion list."""
        principal = req.json().get("principalArn", "")
        if not PRINCIPAL_PATTERN.match(principal):
            return error_response(req.service, "InvalidParameterException",
                                  f"Invalid parameter at 'principalArn': {principal!r}", 400)
        now = self.layer.wall_clock()
        if not self.images.exclude(req.region, principal, now):
            return error_response(req.service, "ExclusionAlreadyExistsException",
                                  "The specified pull time update exclusion already exists for the registry.", 400)
        return json_answer({"principalArn": principal, "createdAt": now})

    def _deregister_exclusion(self, req: Request) -> Response:
        """Remove a principal from the region's pull-time update exclusion list."""
        principal = req.json().get("principalArn", "")
        if not self.images.include(req.region, principal):
            return error_response(req.service, "ExclusionNotFoundException",
                                  "The specified pull time update exclusion was not found.", 400)
        return json_answer({"principalArn": principal})

    def _list_exclusions(self, req: Request) -> Response:
        """The region's pull-time update exclusion list, in one page."""
        return json_answer({"pullTimeUpdateExclusions": self.images.exclusions(req.region)})

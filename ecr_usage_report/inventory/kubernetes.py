"""A read-only client of an EKS cluster's Kubernetes API, on requests alone.

The bearer token is a presigned STS GetCallerIdentity URL that also signs the `x-k8s-aws-id`
header (the cluster's name), as aws-iam-authenticator builds it; the API server asks STS who
signed it. The server's certificate is checked against the cluster's CA from DescribeCluster.
Every list is read page by page (`limit`, `continue`), each page bounded in size, the pages bounded in
number; an answer of any JSON shape is an error named, never a crash.
"""
from __future__ import annotations

import base64
import json
import os
import tempfile
import time
from contextlib import contextmanager
from typing import Any, Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ecr_usage_report.redaction import clipped

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
CLUSTER_PARAM = "ClusterName"  # given to the presigner, which turns it into the signed header
TOKEN_SECONDS = 60  # EKS accepts a token for at most 15 minutes; a cluster is read well within one
PAGE_LIMIT = 500
MAX_PAGES = 2_000  # of one list (a million objects): an API that never stops paging is cut off and named
SHOWN_BYTES = 4096  # of an answer read for the start of it an error shows
MAX_ANSWER_BYTES = 64 * 2**20  # of one page: a bigger one (a proxy that ignores `limit`) is refused, not parsed
TIMEOUT_SECONDS = (5.0, 30.0)  # connect, read
# Connection errors, 429 (after its Retry-After) and 5xx, a few times with backoff; urllib3's own policy.
RETRY = Retry(total=3, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504),
              allowed_methods=frozenset({"GET"}), respect_retry_after_header=True, raise_on_status=False)


class KubernetesError(Exception):
    """The API server refused or could not be reached; `status` is the HTTP status (None: no answer)."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


def take_cluster_name(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """provide-client-params handler: keep the cluster's name for the header, out of the API's parameters."""
    if CLUSTER_PARAM in params:
        context[CLUSTER_HEADER] = params.pop(CLUSTER_PARAM)


def add_cluster_header(request: Any, **_: Any) -> None:
    """before-sign handler: the cluster's name as a header, so that it is signed with the URL."""
    name = request.context.get(CLUSTER_HEADER)
    if name:
        request.headers[CLUSTER_HEADER] = name


def bearer_token(sts: Any, cluster: str) -> str:
    """A token for one cluster from an STS client of its region (no call: the URL is only presigned)."""
    events = sts.meta.events  # a unique id is the emitter's, across events: one each, registered once per client
    events.register("provide-client-params.sts.GetCallerIdentity", take_cluster_name, unique_id="k8s-cluster-name")
    events.register("before-sign.sts.GetCallerIdentity", add_cluster_header, unique_id="k8s-cluster-header")
    url = sts.generate_presigned_url("get_caller_identity", Params={CLUSTER_PARAM: cluster},
                                     ExpiresIn=TOKEN_SECONDS, HttpMethod="GET")
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


class KubernetesApi:
    """One cluster's API: its endpoint, a token, and a session that trusts only the cluster's CA."""

    def __init__(self, endpoint: str, token: str, session: requests.Session, ca_file: str,
                 deadline: float | None = None, max_answer_bytes: int = MAX_ANSWER_BYTES,
                 max_pages: int = MAX_PAGES) -> None:
        self.endpoint, self._token, self._session, self._ca_file = endpoint.rstrip("/"), token, session, ca_file
        self.deadline = deadline  # on time.monotonic()'s clock; None: no deadline
        self.max_answer_bytes, self.max_pages = max_answer_bytes, max_pages

    def list(self, path: str) -> list[dict[str, Any]]:
        """Every object of a list, page by page (what is not an object, such as a null item, left out).

        Raises:
            KubernetesError: an answer other than 200, none, one that is not a list, one too large, a
            continue token given twice, more pages than `max_pages`, or no time left.
        """
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        seen: set[str] = set()
        for _ in range(self.max_pages):
            body = json_list(*self._get(path, params))
            items += [item for item in body.get("items") or [] if isinstance(item, dict)]
            metadata = body.get("metadata")
            following = metadata.get("continue") if isinstance(metadata, dict) else None
            if not following:
                return items
            if not isinstance(following, str) or following in seen:
                raise KubernetesError(200, f"the list's pages repeat (continue token {clipped(str(following), 40)!r}"
                                           " given twice): it was not read to its end")
            seen.add(following)
            params = {"limit": PAGE_LIMIT, "continue": following}
        raise KubernetesError(200, f"the list goes on past {self.max_pages} pages of {PAGE_LIMIT}:"
                                   " it was not read to its end")

    def _get(self, path: str, params: dict[str, Any]) -> tuple[int, bytes]:
        """(status, body) of one GET, its read timeout within the time left; raises KubernetesError for none."""
        read_timeout = TIMEOUT_SECONDS[1]
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise KubernetesError(None, "not read: no time left before the function's timeout")
            read_timeout = min(read_timeout, left / (RETRY.total + 1))  # every try of it within the time left
        try:
            # verify given with each request: requests lets REQUESTS_CA_BUNDLE override a session's
            with self._session.get(self.endpoint + path, params=params, timeout=(TIMEOUT_SECONDS[0], read_timeout),
                                   verify=self._ca_file, stream=True,
                                   headers={"Authorization": f"Bearer {self._token}",
                                            "Accept": "application/json"}) as response:
                body = bounded_body(response, self.max_answer_bytes)
        except requests.RequestException as exc:
            raise KubernetesError(None, f"{type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise KubernetesError(response.status_code, status_message(body, response.reason))
        return response.status_code, body


def bounded_body(response: requests.Response, most: int) -> bytes:
    """The answer's body, read as it arrives; one past `most` bytes is refused before it is all held."""
    chunks, size = [], 0
    for chunk in response.iter_content(1 << 20):
        size += len(chunk)
        if size > most:
            raise KubernetesError(response.status_code, f"the answer is over {most:,} bytes: not read"
                                                        " (a proxy that ignores the page limit?)")
        chunks.append(chunk)
    return b"".join(chunks)


def parsed(body: bytes) -> Any:
    """JSON of any shape, or None when the body is not JSON."""
    try:
        return json.loads(body)
    except ValueError:
        return None


def json_list(status: int, body: bytes) -> dict[str, Any]:
    """A 200's body as a Kubernetes list; a page that is not one (a proxy's sign-in page) is an error."""
    answer = parsed(body)
    if not isinstance(answer, dict) or not isinstance(answer.get("items") or [], list):
        raise KubernetesError(status, "the answer is not a Kubernetes list: " + (start_of(body, 80) or "empty"))
    return answer


def status_message(body: bytes, reason: str) -> str:
    """The message of a Kubernetes Status answer, else the start of the body, else the HTTP reason."""
    answer = parsed(body)
    message = answer.get("message") if isinstance(answer, dict) else None
    if isinstance(message, str) and message:
        return clipped(message, 200)
    return start_of(body, 200) or reason


def start_of(body: bytes, chars: int) -> str:
    """The start of an answer to show: decoded, secrets removed, then cut (a proxy may echo the token)."""
    return clipped(body[:SHOWN_BYTES].decode("utf-8", "replace").strip(), chars)


@contextmanager
def cluster_api(endpoint: str, ca_pem: bytes, token: str, deadline: float | None = None) -> Iterator[KubernetesApi]:
    """A cluster's API, for the time of one read (requests takes the CA from a file, removed after)."""
    handle, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(handle, "wb") as ca_file:
            ca_file.write(ca_pem)
        with requests.Session() as session:
            session.mount("https://", HTTPAdapter(max_retries=RETRY))
            yield KubernetesApi(endpoint, token, session, path, deadline)
    finally:
        os.unlink(path)

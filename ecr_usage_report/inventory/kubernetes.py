"""A read-only client of an EKS cluster's Kubernetes API, on requests alone.

The bearer token is a presigned STS GetCallerIdentity URL that also signs the `x-k8s-aws-id`
header (the cluster's name), as aws-iam-authenticator builds it; the API server asks STS who
signed it. The server's certificate is checked against the cluster's CA from DescribeCluster.
Every list is read page by page (`limit`, `continue`).
"""
from __future__ import annotations

import base64
import os
import tempfile
from contextlib import contextmanager
from typing import Any, Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
CLUSTER_PARAM = "ClusterName"  # given to the presigner, which turns it into the signed header
TOKEN_SECONDS = 60  # EKS accepts a token for at most 15 minutes; a cluster is read well within one
PAGE_LIMIT = 500
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

    def __init__(self, endpoint: str, token: str, session: requests.Session, ca_file: str) -> None:
        self.endpoint, self._token, self._session, self._ca_file = endpoint.rstrip("/"), token, session, ca_file

    def list(self, path: str) -> list[dict[str, Any]]:
        """Every item of a list, page by page.

        Raises:
            KubernetesError: an answer other than 200, none, or one that is not a list.
        """
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        while True:
            try:
                # verify given with each request: requests lets REQUESTS_CA_BUNDLE override a session's
                response = self._session.get(self.endpoint + path, params=params, timeout=TIMEOUT_SECONDS,
                                             verify=self._ca_file, headers={"Authorization": f"Bearer {self._token}",
                                                                            "Accept": "application/json"})
            except requests.RequestException as exc:
                raise KubernetesError(None, f"{type(exc).__name__}: {exc}") from None
            if response.status_code != 200:
                raise KubernetesError(response.status_code, status_message(response))
            body = json_list(response)
            items += body.get("items") or []
            following = (body.get("metadata") or {}).get("continue")
            if not following:
                return items
            params = {"limit": PAGE_LIMIT, "continue": following}


def json_list(response: requests.Response) -> dict[str, Any]:
    """A 200's body as a Kubernetes list; a page that is not one (a proxy's sign-in page) is an error."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("items") or [], list):
        raise KubernetesError(response.status_code, "the answer is not a Kubernetes list: "
                              + (response.text.strip()[:80] or "empty"))
    return body


def status_message(response: requests.Response) -> str:
    """The message of a Kubernetes Status answer, else the start of the body."""
    try:
        message = response.json().get("message")
    except ValueError:
        message = None
    return message or response.text.strip()[:200] or response.reason


@contextmanager
def cluster_api(endpoint: str, ca_pem: bytes, token: str) -> Iterator[KubernetesApi]:
    """A cluster's API, for the time of one read (requests takes the CA from a file, removed after)."""
    handle, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(handle, "wb") as ca_file:
            ca_file.write(ca_pem)
        with requests.Session() as session:
            session.mount("https://", HTTPAdapter(max_retries=RETRY))
            yield KubernetesApi(endpoint, token, session, path)
    finally:
        os.unlink(path)

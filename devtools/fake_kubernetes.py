"""A real local HTTPS server that answers like an EKS cluster's Kubernetes API, for tests, the demo and
the benchmark.

One server holds many clusters, each under its own endpoint (`https://127.0.0.1:<port>/clusters/<name>`),
with a self-signed certificate given as the clusters' CA. It lists pods, Deployments, StatefulSets,
DaemonSets, Jobs and CronJobs of every namespace, in pages (`limit` / `continue`), as the API does.
A request must carry an EKS bearer token (`k8s-aws-v1.` and a presigned STS GetCallerIdentity URL
that signs the `x-k8s-aws-id` header), else 401; `refuse(cluster)` answers 401 to a valid one too,
and `forbid(cluster, resource)` answers 403 to one list. It records every request.
"""
from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PATHS = {  # list path -> (resource, kind of the list)
    "/api/v1/pods": ("pods", "PodList"),
    "/apis/apps/v1/deployments": ("deployments", "DeploymentList"),
    "/apis/apps/v1/statefulsets": ("statefulsets", "StatefulSetList"),
    "/apis/apps/v1/daemonsets": ("daemonsets", "DaemonSetList"),
    "/apis/batch/v1/jobs": ("jobs", "JobList"),
    "/apis/batch/v1/cronjobs": ("cronjobs", "CronJobList"),
}
TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
MAX_TOKEN_SECONDS = 900  # what EKS accepts


@cache
def certificate() -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) of a self-signed certificate for 127.0.0.1, made once per process."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-kubernetes")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def token_problem(authorization: str) -> str | None:
    """Why a bearer token is not one EKS would take to STS, or None."""
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token.startswith(TOKEN_PREFIX):
        return "no EKS bearer token"
    encoded = token[len(TOKEN_PREFIX):]
    try:
        url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except ValueError:
        return "the token is not base64url"
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    if query.get("Action") != "GetCallerIdentity" or "X-Amz-Signature" not in query:
        return "the token is not a presigned GetCallerIdentity URL"
    if CLUSTER_HEADER not in query.get("X-Amz-SignedHeaders", "").split(";"):
        return f"the token does not sign {CLUSTER_HEADER}"
    if not 0 < int(query.get("X-Amz-Expires", "0")) <= MAX_TOKEN_SECONDS:
        return "the token's expiry is out of range"
    return None


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    """A Kubernetes Status object."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


def container_list(images: list[str]) -> list[dict[str, Any]]:
    return [{"name": f"c{index}", "image": image} for index, image in enumerate(images)]


def iso(moment: float | None) -> str | None:
    return None if moment is None else datetime.datetime.fromtimestamp(moment, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def pod(namespace: str, name: str, images: list[str], image_ids: list[str] | None = None,
        owner: tuple[str, str] | None = None, started: float | None = None, phase: str = "Running",
        template_hash: str | None = None) -> dict[str, Any]:
    """A pod; `image_ids` as the kubelet reports them (`repo@sha256:...`), `owner` as (kind, name)."""
    metadata: dict[str, Any] = {"namespace": namespace, "name": name}
    if owner:
        metadata["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    if template_hash:
        metadata["labels"] = {"pod-template-hash": template_hash}
    statuses = [{"name": f"c{index}", "image": image, "imageID": image_id}
                for index, (image, image_id) in enumerate(zip(images, image_ids or []))]
    return {"metadata": metadata, "spec": {"containers": container_list(images)},
            "status": {"phase": phase, "startTime": iso(started), "containerStatuses": statuses}}


def workload(namespace: str, name: str, images: list[str], replicas: int = 1) -> dict[str, Any]:
    """A Deployment, StatefulSet or DaemonSet: a pod template and its replicas, all ready."""
    return {"metadata": {"namespace": namespace, "name": name},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": container_list(images)}}},
            "status": {"readyReplicas": replicas, "numberReady": replicas, "desiredNumberScheduled": replicas}}


def cronjob(namespace: str, name: str, images: list[str], schedule: str = "0 0 1 * *",
            last_scheduled: float | None = None) -> dict[str, Any]:
    """A CronJob and when it last ran."""
    return {"metadata": {"namespace": namespace, "name": name},
            "spec": {"schedule": schedule,
                     "jobTemplate": {"spec": {"template": {"spec": {"containers": container_list(images)}}}}},
            "status": {"lastScheduleTime": iso(last_scheduled)} if last_scheduled else {}}


def job(namespace: str, name: str, images: list[str], started: float | None = None) -> dict[str, Any]:
    """A Job that succeeded."""
    return {"metadata": {"namespace": namespace, "name": name},
            "spec": {"template": {"spec": {"containers": container_list(images)}}},
            "status": {"startTime": iso(started), "succeeded": 1}}


@dataclass
class Cluster:
    """What one cluster holds, by resource ("pods", "deployments", ...), and how it answers."""

    objects: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {r: [] for r, _ in PATHS.values()})
    refused: bool = False  # 401 to every request, as to a role with no access entry
    forbidden: set[str] = field(default_factory=set)  # resources answered 403
    garbled: set[str] = field(default_factory=set)  # resources answered 200 with a page that is not JSON
    fixed: dict[str, tuple[int, Any]] = field(default_factory=dict)  # resource -> (status, JSON or text) answered
    endless: set[str] = field(default_factory=set)  # resources whose every page carries a continue token


@dataclass
class Seen:
    """One request the server got."""

    cluster: str
    path: str
    query: dict[str, str]
    status: int


class FakeKubernetes:
    """Start with `with FakeKubernetes() as kubernetes:`; `add(name)` makes a cluster."""

    def __init__(self, latency: float = 0.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.latency, self.sleep = latency, sleep
        self.clusters: dict[str, Cluster] = {}
        self.received: list[Seen] = []
        self._lock = threading.Lock()
        cert, key = certificate()
        self.ca_data = base64.b64encode(cert).decode()  # as DescribeCluster's certificateAuthority.data
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        with tempfile.TemporaryDirectory() as folder:
            cert_file, key_file = Path(folder, "cert.pem"), Path(folder, "key.pem")
            cert_file.write_bytes(cert)
            key_file.write_bytes(key)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert_file, key_file)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def endpoint(self, cluster: str) -> str:
        """The cluster's API endpoint, as DescribeCluster gives it."""
        host, port = self._server.server_address[:2]
        return f"https://{host}:{port}/clusters/{cluster}"

    def add(self, name: str) -> Cluster:
        """A new, empty cluster (or the one of that name)."""
        with self._lock:
            return self.clusters.setdefault(name, Cluster())

    def refuse(self, cluster: str) -> None:
        """Answer 401 to every request to the cluster, as to a role that has no access entry."""
        self.add(cluster).refused = True

    def forbid(self, cluster: str, resource: str) -> None:
        """Answer 403 to the cluster's list of one resource ("pods", "cronjobs", ...)."""
        self.add(cluster).forbidden.add(resource)

    def garble(self, cluster: str, resource: str) -> None:
        """Answer 200 with an HTML page to the cluster's list of one resource, as a proxy in the way might."""
        self.add(cluster).garbled.add(resource)

    def answer(self, cluster: str, resource: str, code: int, body: Any) -> None:
        """Answer the cluster's list of one resource with this status and body (any JSON, or text), as a
        misbehaving API server or a gateway in front of it might."""
        self.add(cluster).fixed[resource] = (code, body)

    def page_forever(self, cluster: str, resource: str) -> None:
        """Give every page of the cluster's list of one resource a continue token, a new one each time."""
        self.add(cluster).endless.add(resource)

    def reset(self) -> None:
        """No clusters, nothing received."""
        with self._lock:
            self.clusters.clear()
            self.received.clear()

    def _answer(self, path: str, query: dict[str, str], authorization: str) -> tuple[int, dict[str, Any] | str, str]:
        """(status, body, cluster) for a GET."""
        _, _, rest = path.partition("/clusters/")
        name, slash, api_path = rest.partition("/")
        with self._lock:
            cluster = self.clusters.get(name)
        if cluster is None or (slash + api_path) not in PATHS:
            return 404, status(404, "NotFound", f"the server could not find the requested resource ({path})"), name
        problem = token_problem(authorization)
        if problem or cluster.refused:
            return 401, status(401, "Unauthorized", "Unauthorized"), name
        resource, list_kind = PATHS[slash + api_path]
        if resource in cluster.forbidden:
            return 403, status(403, "Forbidden", f'{resource} is forbidden: User "report" cannot list resource '
                                                  f'"{resource}" at the cluster scope'), name
        if resource in cluster.garbled:
            return 200, "<html><body>Sign in to continue</body></html>", name
        if resource in cluster.fixed:
            return (*cluster.fixed[resource], name)
        items = cluster.objects[resource]
        try:
            offset = int(base64.urlsafe_b64decode(query["continue"]).decode()) if query.get("continue") else 0
            limit = int(query.get("limit") or 0) or len(items) or 1
        except ValueError:
            return 400, status(400, "BadRequest", "invalid continue token or limit"), name
        page = items[offset:offset + limit]
        following = (base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
                     if offset + limit < len(items) or resource in cluster.endless else "")
        metadata = {"resourceVersion": "1", **({"continue": following} if following else {})}
        return 200, {"kind": list_kind, "apiVersion": "v1", "metadata": metadata, "items": page}, name

    def _handler_class(self) -> type:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as an API server allows: one TLS handshake per client

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if fake.latency:
                    fake.sleep(fake.latency)
                parts = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                code, body, cluster = fake._answer(parts.path, query, self.headers.get("Authorization", ""))
                with fake._lock:
                    fake.received.append(Seen(cluster, parts.path, query, code))
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()  # JSON of any shape
                self.send_response(code)
                self.send_header("Content-Type", "text/html" if isinstance(body, str) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> FakeKubernetes:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

"""The EKS kind: for each cluster, its Kubernetes API (endpoint and CA from DescribeCluster): the pods of
every namespace (grouped by what owns them) and the pod templates of Deployments, StatefulSets,
DaemonSets, Jobs and CronJobs (a CronJob that runs monthly uses its image).

The report's role needs read access inside each cluster: an EKS access entry with a view policy
(README, "EKS"). A cluster it cannot enter is named, and its region is not judged.
"""
from __future__ import annotations

import base64
from collections import Counter
from datetime import datetime
from typing import Any, Callable, Iterator

from ecr_usage_report.inventory.kubernetes import KubernetesError, bearer_token, cluster_api
from ecr_usage_report.inventory.model import Consumer, ReadError
from ecr_usage_report.inventory.reader import ConsumerKind

SERVICE = "eks"
LABEL = "EKS"
VANISHED = "ResourceNotFoundException"
UNAUTHORIZED, FORBIDDEN = 401, 403
# (resource, its list path, how the report names one)
RESOURCES = (
    ("pods", "/api/v1/pods", "eks pod"),
    ("deployments", "/apis/apps/v1/deployments", "eks deployment"),
    ("statefulsets", "/apis/apps/v1/statefulsets", "eks statefulset"),
    ("daemonsets", "/apis/apps/v1/daemonsets", "eks daemonset"),
    ("jobs", "/apis/batch/v1/jobs", "eks job"),
    ("cronjobs", "/apis/batch/v1/cronjobs", "eks cronjob"),
)
CONTAINER_KEYS = ("initContainers", "containers", "ephemeralContainers")
STATUS_KEYS = ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses")
NO_ACCESS = ("the report's role cannot enter the cluster: give it an EKS access entry with a view policy"
             " (README, EKS)")


def list_clusters(client: Any) -> list[str]:
    """Every cluster of the region (every page)."""
    pages = client.get_paginator("list_clusters").paginate()
    return [name for page in pages for name in page.get("clusters", [])]


def kubernetes_time(value: str | None) -> datetime | None:
    """An RFC 3339 time as Kubernetes writes it; None when absent or malformed (the last run is then unknown)."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) and value else None
    except ValueError:
        return None


def spec_images(spec: dict[str, Any]) -> Iterator[str]:
    """The images of a pod spec's containers, init and ephemeral ones included."""
    for key in CONTAINER_KEYS:
        yield from (container["image"] for container in spec.get(key) or [] if container.get("image"))


def pod_images(pod: dict[str, Any]) -> Iterator[str]:
    """What a pod names and, from its status, the digest each container runs."""
    yield from spec_images(pod.get("spec") or {})
    status = pod.get("status") or {}
    for key in STATUS_KEYS:
        yield from (s["imageID"] for s in status.get(key) or [] if "@" in s.get("imageID", ""))


def pod_owner(pod: dict[str, Any]) -> str:
    """What a pod is grouped under: its Deployment (through the ReplicaSet), its other owner, or itself."""
    metadata = pod.get("metadata") or {}
    owners = metadata.get("ownerReferences") or []
    if not owners:
        return metadata.get("name", "")
    owner = owners[0].get("name", "")
    suffix = "-" + (metadata.get("labels") or {}).get("pod-template-hash", "\0")
    return owner.removesuffix(suffix) if owners[0].get("kind") == "ReplicaSet" else owner


def pod_consumers(cluster: str, region: str, pods: list[dict[str, Any]]) -> list[Consumer]:
    """One consumer per namespace and owner, with the newest start and how many pods are in each phase."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for pod in pods:
        groups.setdefault(((pod.get("metadata") or {}).get("namespace", ""), pod_owner(pod)), []).append(pod)
    consumers = []
    for (namespace, owner), members in sorted(groups.items()):
        images = tuple(dict.fromkeys(image for pod in members for image in pod_images(pod)))
        started = [kubernetes_time((pod.get("status") or {}).get("startTime")) for pod in members]
        phases = Counter((pod.get("status") or {}).get("phase", "Unknown").lower() for pod in members)
        state = ", ".join(f"{count} {phase}" for phase, count in sorted(phases.items()))
        consumers.append(Consumer("eks pod", f"{cluster}/{namespace}/{owner}", region, images,
                                  max((at for at in started if at), default=None), state))
    return consumers


def workload_state(resource: str, item: dict[str, Any]) -> tuple[datetime | None, str]:
    """(when it last ran, its state) as Kubernetes records it for the kind of workload."""
    spec, status = item.get("spec") or {}, item.get("status") or {}
    if resource == "cronjobs":
        return (kubernetes_time(status.get("lastScheduleTime")),
                f"schedule {spec.get('schedule', '?')}" + (", suspended" if spec.get("suspend") else ""))
    if resource == "jobs":
        done = "running" if status.get("active") else "failed" if status.get("failed") else "succeeded"
        return kubernetes_time(status.get("startTime")), done
    if resource == "daemonsets":
        return None, f"{status.get('numberReady', 0)} of {status.get('desiredNumberScheduled', 0)} ready"
    return None, f"{status.get('readyReplicas', 0)} of {spec.get('replicas', 1)} ready"


def workload_consumer(resource: str, kind: str, cluster: str, region: str, item: dict[str, Any]) -> Consumer:
    """A workload and the images of its pod template."""
    spec = item.get("spec") or {}
    if resource == "cronjobs":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = (spec.get("template") or {}).get("spec") or {}
    metadata = item.get("metadata") or {}
    last_run, state = workload_state(resource, item)
    return Consumer(kind, f"{cluster}/{metadata.get('namespace', '')}/{metadata.get('name', '')}", region,
                    tuple(dict.fromkeys(spec_images(template))), last_run, state)


def kubernetes_error(exc: KubernetesError) -> str:
    """What the report says of a refused or failed list."""
    if exc.status == UNAUTHORIZED:
        return f"Unauthorized (HTTP 401): {NO_ACCESS}"
    if exc.status == FORBIDDEN:
        return f"Forbidden (HTTP 403): {exc}"
    return f"HTTP {exc.status}: {exc}" if exc.status else f"Kubernetes API unreachable: {exc}"


def read_cluster(client: Any, region: str, name: str, sts_client: Callable[[str], Any],
                 deadline: float | None = None) -> tuple[tuple[Consumer, ...] | None, list[ReadError]]:
    """A cluster's workloads through its Kubernetes API, asked nothing past the run's `deadline`
    (time.monotonic()'s); None when the cluster has no API (yet) or is gone.

    A list it is forbidden is named and the others are still read; once the cluster refuses the
    role, or cannot be reached, nothing else is asked of it.
    """
    cluster = client.describe_cluster(name=name).get("cluster", {})
    endpoint = cluster.get("endpoint")
    try:
        ca_pem = base64.b64decode((cluster.get("certificateAuthority") or {}).get("data") or "", validate=True)
    except ValueError:
        return None, [ReadError(region, LABEL, name, "DescribeCluster gave a certificate authority that is not base64")]
    token = bearer_token(sts_client(region), name) if endpoint and ca_pem else ""
    if not token:
        return None, []  # still being created: nothing runs on it
    consumers: list[Consumer] = []
    errors: list[ReadError] = []
    with cluster_api(endpoint, ca_pem, token, deadline) as api:
        for resource, path, kind in RESOURCES:
            try:
                items = api.list(path)
            except KubernetesError as exc:
                errors.append(ReadError(region, LABEL, f"{name} {resource}", kubernetes_error(exc)))
                if exc.status == FORBIDDEN:
                    continue
                break
            consumers += (pod_consumers(name, region, items) if resource == "pods" else
                          [workload_consumer(resource, kind, name, region, item) for item in items])
    return tuple(consumers), errors


KIND = ConsumerKind(
    word="eks", label=LABEL, service=SERVICE, list_items=list_clusters, read_item=read_cluster, gone=(VANISHED,),
    with_clients=lambda clients, scheduler: {"sts_client": lambda region: clients.get("sts", region),
                                             "deadline": scheduler.deadline},
    actions=("eks:ListClusters", "eks:DescribeCluster"))

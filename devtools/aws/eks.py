"""EKS as the tests need it: moto's DescribeCluster makes up an endpoint and a CA, so a cluster's
are set here (a devtools/fake_kubernetes.py server's)."""

from __future__ import annotations

import threading

from devtools.aws.core import Service
from devtools.aws.protocol import Handler, Request, Response, rewrite


class Eks(Service):
    """`clusters[(region, name)]`: the DescribeCluster fields to answer (endpoint, certificateAuthority)."""

    name = "eks"

    def __init__(self) -> None:
        self.clusters: dict[tuple[str, str], dict] = {}
        self._lock = threading.Lock()

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        return {("eks", "DescribeCluster"): self._describe_cluster}

    def reset(self) -> None:
        """Forget every cluster's fields."""
        with self._lock:
            self.clusters.clear()

    def _describe_cluster(self, req: Request) -> Response:
        def with_override(doc: dict) -> None:
            cluster = doc.get("cluster") or {}
            with self._lock:
                cluster.update(self.clusters.get((req.region, cluster.get("name", "")), {}))

        return rewrite(self.layer.forward(req), with_override)

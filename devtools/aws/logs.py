"""CloudWatch Logs as the tests need it: moto refuses log events older than 14 days, so a stream's
last event time is set here instead."""

from __future__ import annotations

from devtools.aws.core import Service
from devtools.aws.protocol import Handler, Request, Response, rewrite


class Logs(Service):
    """`log_stream_overrides[(region, group)]`: the lastEventTimestamp (ms) of every stream of the group."""

    name = "logs"

    def __init__(self) -> None:
        self.log_stream_overrides: dict = {}

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        return {("logs", "DescribeLogStreams"): self._describe_log_streams}

    def reset(self) -> None:
        """Forget the overrides."""
        self.log_stream_overrides.clear()

    def _describe_log_streams(self, req: Request) -> Response:
        """Apply log_stream_overrides to DescribeLogStreams answers."""
        params = req.json()
        group = params.get("logGroupName") or params.get("logGroupIdentifier", "")
        group = group.split(":log-group:")[-1].removesuffix(":*")
        timestamp = self.log_stream_overrides.get((req.region, group))
        if timestamp is None:
            return self.layer.forward(req)

        def edit(doc: dict) -> None:
            for stream in doc.get("logStreams") or []:
                stream["lastEventTimestamp"] = timestamp

        return rewrite(self.layer.forward(req), edit)

"""AWS's documented request-rate quotas, which the simulated AWS enforces when asked (`AwsLayer.rate_quotas`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RateQuota:
    """One request-rate quota per account and region: the service's operations that share it."""

    service: str  # as the SigV4 scope names it: "lambda", "logs"
    operations: frozenset[str] | None  # None: every operation of the service not in `excluded`
    per_second: float
    excluded: frozenset[str] = frozenset()
    burst: float | None = None  # the bucket's size when AWS states one; else one second's worth

    def covers(self, service: str, operation: str) -> bool:
        """True when a call of this operation counts against the quota."""
        if service != self.service or operation in self.excluded:
            return False
        return self.operations is None or operation in self.operations


# AWS's documented request-rate quotas, written here as AWS states them and not taken from the
# report's own table, so a wrong table in the report is caught here.
AWS_RATE_QUOTAS = (
    # Lambda quotas, "Lambda API requests" (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
    # "GetFunction API requests: 100 requests per second", fixed.
    RateQuota("lambda", frozenset({"GetFunction"}), 100),
    # "Remainder of the control plane API requests (excludes invocation, GetFunction, and GetPolicy
    # requests): 15 requests per second across all APIs", fixed: one quota that they all share.
    RateQuota("lambda", None, 15, excluded=frozenset({"Invoke", "GetFunction", "GetPolicy"})),
    # CloudWatch Logs quotas (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html):
    # "DescribeLogStreams: 25 transactions per second (TPS)", adjustable; the default.
    RateQuota("logs", frozenset({"DescribeLogStreams"}), 25),
    # Amazon ECS API request throttling (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html):
    # token buckets per account and Region, "Bucket maximum capacity (or Burst rate)" and "Bucket refill rate
    # (or Sustained rate)" for each category of actions.
    RateQuota("ecs", frozenset({"DescribeClusters", "ListClusters"}), 20, burst=50),  # cluster read actions
    RateQuota("ecs", frozenset({"DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies"}),
              20, burst=50),  # task definition read actions
    RateQuota("ecs", frozenset({"DescribeContainerInstances", "DescribeTasks", "ListAttributes",
                                "ListContainerInstances", "ListTasks"}), 20, burst=100),  # cluster resource read
    RateQuota("ecs", frozenset({"DescribeServices", "ListServices"}), 20, burst=100),  # service read actions
    # Amazon EventBridge quotas (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html):
    # "Throttle limit in transactions per second for control plane APIs: Each supported Region: 50 per second",
    # not adjustable; PutEvents and invocations have quotas of their own.
    RateQuota("events", None, 50, excluded=frozenset({"PutEvents", "PutPartnerEvents"})),
    # Quotas for EventBridge Scheduler (https://docs.aws.amazon.com/scheduler/latest/UserGuide/scheduler-quotas.html):
    # "ListSchedules request rate" and "GetSchedule request rate", 50 a second in each supported Region
    # (adjustable; some Regions now allow GetSchedule more): the lowest the page states.
    RateQuota("scheduler", frozenset({"ListSchedules"}), 50),
    RateQuota("scheduler", frozenset({"GetSchedule"}), 50),
)

"""EC2's DescribeRegions as AWS answers a commercial account (moto lists every partition's regions,
China's and GovCloud's too, whatever is asked)."""

from __future__ import annotations

from functools import cache
from urllib.parse import parse_qsl

import botocore.session

from devtools.aws.core import Service
from devtools.aws.protocol import Handler, Request, Response

# The commercial regions enabled in every account; the partition's others are opt-in ("Enable or
# disable AWS Regions in your account", AWS Account Management reference guide).
DEFAULT_ENABLED_REGIONS = frozenset({
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2",
    "eu-west-3", "eu-north-1", "sa-east-1"})
EC2_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"


@cache
def commercial_regions() -> frozenset[str]:
    """Every region of the commercial partition, as botocore's endpoint data knows them."""
    return frozenset(botocore.session.get_session().get_available_regions("ec2", partition_name="aws"))


class Regions(Service):
    """The account's regions: a commercial account's defaults and `opted_in_regions`, unless
    `enabled_regions` names them all (a test's account that keeps to the regions it uses)."""

    name = "ec2"

    def __init__(self) -> None:
        self.opted_in_regions: set[str] = set()
        self.enabled_regions: frozenset[str] | None = None

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        return {("ec2", "DescribeRegions"): self._describe_regions}

    def reset(self) -> None:
        """A commercial account's defaults again."""
        self.opted_in_regions = set()
        self.enabled_regions = None

    def _describe_regions(self, req: Request) -> Response:
        """The enabled regions, or with AllRegions each region with its status."""
        params = dict(parse_qsl(req.body.decode("utf-8", "replace")))
        every = params.get("AllRegions", "false").lower() == "true"
        named = {value for key, value in params.items() if key.startswith("RegionName.")}
        rows = []
        for name in sorted(commercial_regions()):
            status = ("opt-in-not-required" if name in DEFAULT_ENABLED_REGIONS
                      else "opted-in" if name in self.opted_in_regions else "not-opted-in")
            if self.enabled_regions is not None:
                status = "opted-in" if name in self.enabled_regions else "not-opted-in"
            if (every or status != "not-opted-in") and (not named or name in named):
                rows.append(f"<item><regionName>{name}</regionName><regionEndpoint>ec2.{name}.amazonaws.com"
                            f"</regionEndpoint><optInStatus>{status}</optInStatus></item>")
        body = (f'<DescribeRegionsResponse xmlns="{EC2_NAMESPACE}"><requestId>x</requestId>'
                f"<regionInfo>{''.join(rows)}</regionInfo></DescribeRegionsResponse>").encode()
        return Response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body)

"""SageMaker as AWS answers it where moto 5.2.5 does not: ListModels answers whole models in one
page and ListEndpoints pages 100 by default; here both page summaries, 10 by default, at most 100."""

from __future__ import annotations

import json
from functools import partial

from devtools.aws.core import Service
from devtools.aws.paging import one_page, page_bounds
from devtools.aws.protocol import Handler, Request, Response, error_response, rewrite

SAGEMAKER_PAGE = (10, 100)
MODEL_SUMMARY = ("ModelName", "ModelArn", "CreationTime")
ENDPOINT_SUMMARY = ("EndpointName", "EndpointArn", "CreationTime", "LastModifiedTime", "EndpointStatus")


class SageMaker(Service):
    """SageMaker's models and endpoints (moto keeps them; nothing is recorded here)."""

    name = "sagemaker"

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        return {("sagemaker", "ListModels"): partial(self._page, key="Models", fields=MODEL_SUMMARY),
                ("sagemaker", "ListEndpoints"): partial(self._page, key="Endpoints", fields=ENDPOINT_SUMMARY)}

    def _page(self, req: Request, key: str, fields: tuple[str, ...]) -> Response:
        """Forward asking for every item, then answer one page of summaries as SageMaker does."""
        params = req.json()
        try:
            asked = {"nextToken": params.pop("NextToken", None), "maxResults": params.pop("MaxResults", None)}
            offset, size = page_bounds(asked, SAGEMAKER_PAGE, self.layer.shorten)
        except ValueError:
            return error_response(req.service, "ValidationException", "Invalid NextToken or MaxResults", 400)

        def summaries(doc: dict) -> None:
            doc[key] = [{field: item[field] for field in fields if field in item} for item in doc.get(key) or []]
            one_page(doc, key, "NextToken", offset, size)

        everything = {**params, "MaxResults": 10**6} if key == "Endpoints" else params  # moto pages endpoints at 100
        return rewrite(self.layer.forward(req, json.dumps(everything).encode()), summaries)

"""CodeBuild as AWS answers it where moto 5.2.5 does not: ListProjects pages 100 names, and
BatchGetProjects takes at most 100 names and names those it did not find (`projectsNotFound`)."""

from __future__ import annotations

from functools import partial

from devtools.aws.core import Service
from devtools.aws.paging import forward_page
from devtools.aws.protocol import Handler, Request, Response, error_response, rewrite

CODEBUILD_PAGE = (100, 100)  # ListProjects has no maxResults: 100 names a page
PROJECTS_PER_BATCH_GET = 100


class CodeBuild(Service):
    """CodeBuild's projects (moto keeps them; nothing is recorded here)."""

    name = "codebuild"

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        return {("codebuild", "ListProjects"): partial(forward_page, self.layer, key="projects", limits=CODEBUILD_PAGE),
                ("codebuild", "BatchGetProjects"): self._batch_get_projects}

    def _batch_get_projects(self, req: Request) -> Response:
        names = req.json().get("names") or []
        if len(names) > PROJECTS_PER_BATCH_GET:
            return error_response(req.service, "ValidationException", "1 validation error detected: Value at"
                                  " 'names' failed to satisfy constraint: Member must have length less than or equal"
                                  f" to {PROJECTS_PER_BATCH_GET}", 400)

        def with_not_found(doc: dict) -> None:
            found = {name for project in doc.get("projects") or []
                     for name in (project.get("name"), project.get("arn"))}
            doc["projectsNotFound"] = [name for name in names if name not in found]

        return rewrite(self.layer.forward(req), with_not_found)

"""Every consumer kind besides Lambda functions, one entry each, and the settings that choose among them.

Each entry is a kind's CONSUMER_KINDS word and the name of the module under inventory/ that declares
it (`KIND = ConsumerKind(...)`: its label, service, reader and IAM actions). Only words live here, so
reading settings imports no reader; inventory/consumers.py imports the modules.
"""
from __future__ import annotations

from dataclasses import dataclass

READ_KINDS = ("ecs", "eventbridge", "scheduler", "batch", "apprunner", "eks", "codebuild", "sagemaker")
LAMBDA_VERSIONS = "lambda-versions"  # read by the Lambda reader itself (inventory/functions.py)
KINDS = (*READ_KINDS, LAMBDA_VERSIONS)  # CONSUMER_KINDS' words
DEFAULT_ECS_ROLLBACK_REVISIONS = 3
DEFAULT_LAMBDA_ROLLBACK_VERSIONS = 1


@dataclass(frozen=True)
class ConsumerSettings:
    """Which consumer kinds a run reads, and how many rollback targets of each."""

    kinds: frozenset[str] = frozenset(KINDS)
    ecs_rollback_revisions: int = DEFAULT_ECS_ROLLBACK_REVISIONS  # newest ACTIVE revisions of each family used
    lambda_rollback_versions: int = DEFAULT_LAMBDA_ROLLBACK_VERSIONS  # newest published versions of each function

    @property
    def read_kinds(self) -> tuple[str, ...]:
        """The kinds asked for, in the list's order."""
        return tuple(kind for kind in KINDS if kind in self.kinds)

    @property
    def lambda_versions(self) -> int:
        """How many rollback versions the Lambda reader reads of each image function."""
        return self.lambda_rollback_versions if LAMBDA_VERSIONS in self.kinds else 0

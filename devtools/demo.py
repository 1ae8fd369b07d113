"""Run the whole report on a built-in simulated account (moto), with no AWS account and no Slack.

    python -m devtools.demo [--send] [any lambda_function.py option, e.g. --format json]

--send posts the report to a local fake Slack, through its webhook and then as a bot (the details
in the summary's thread), and prints what it took.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator

from devtools.aws.server import LayeredMotoServer
from devtools.fake_kubernetes import FakeKubernetes
from devtools.fake_slack import BOT_TOKEN, CHANNEL, FakeSlack
from devtools.simulated_account import Seeder, demo_account

DEMO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "ap-northeast-2",
    "EMAIL": "ddps-lab@example.com",
}


@contextmanager
def demo_account_running() -> Iterator[None]:
    """The demo account seeded on a simulated AWS (and its partner lab's Kubernetes API), this process's
    environment pointed at it, for the time of the block."""
    server = LayeredMotoServer()
    server.start()
    kubernetes = FakeKubernetes().__enter__()  # the partner lab's EKS cluster
    try:
        Seeder(server.endpoint_url, server.layer, kubernetes=kubernetes).seed(demo_account())
        os.environ.update(DEMO_ENV, AWS_ENDPOINT_URL=server.endpoint_url)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "REGIONS"):
            os.environ.pop(name, None)
        yield
    finally:
        kubernetes.__exit__()
        server.stop()


def main(argv: list[str]) -> int:
    """Seed the simulated account, then run the report's command line against it."""
    send = "--send" in argv
    argv = [arg for arg in argv if arg != "--send"]
    with demo_account_running():
        import lambda_function

        if not send:
            return lambda_function.main(["--dry-run", *argv])
        with FakeSlack() as slack:
            codes = []
            for mode, env in (("webhook", {"SLACK_DDPS": slack.url}),
                              ("bot", {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_CHANNEL": CHANNEL,
                                       "SLACK_API_URL": slack.api_url})):
                slack.reset()
                os.environ.update(env)
                codes.append(lambda_function.main(argv))
                print(f"=== what the fake Slack took, as the {mode} posts it ===")
                for index, received in enumerate(slack.accepted(), start=1):
                    where = f" (a reply in thread {received.payload['thread_ts']})" if "thread_ts" in received.payload else ""
                    print(f"--- Slack message {index}{where} ---\n{received.payload['text']}")
            return max(codes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The manual's Slack functions: messages to the incoming webhook whose URL is in env var SLACK_DDPS.

The URL is a secret: it is never logged, posted or put in an exception's text.
"""
from __future__ import annotations

import requests

from ecr_usage_report.deliver.slack import ERROR_TITLE, REDACTED, SlackDeliveryError, Webhook
from ecr_usage_report.deliver.slack_settings import SlackConfigError, webhook_url
from ecr_usage_report.report.mrkdwn import escape_for_slack

__all__ = ["ERROR_TITLE", "REDACTED", "SlackConfigError", "SlackDeliveryError", "send_error_message_to_slack",
           "send_message_to_slack", "send_report_to_slack"]


def send_message_to_slack(message: str) -> requests.Response:
    """Send one message (escaped for Slack); returns Slack's HTTP response."""
    return Webhook(webhook_url()).post(escape_for_slack(message))


def send_report_to_slack(report: str) -> list[requests.Response]:
    """Send a report of any length: split on line boundaries, numbered, in order, paced."""
    return Webhook(webhook_url()).send(report)


def send_error_message_to_slack(message: str) -> requests.Response:
    """Send an error notice (a title line, then the message); returns the last response."""
    return Webhook(webhook_url()).send_error(message)

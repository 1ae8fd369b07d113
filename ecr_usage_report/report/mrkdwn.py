"""Text escaped for Slack's mrkdwn, as the summary and the details are posted (a pure function)."""
from __future__ import annotations


def escape_for_slack(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

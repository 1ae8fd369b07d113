"""Delivery: the report to Slack's incoming webhook, the JSON export to S3."""

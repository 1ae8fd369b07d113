"""Inventory readers: ECR, Lambda and CloudWatch Logs, region by region, into one typed inventory."""

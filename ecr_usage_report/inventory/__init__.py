"""Inventory readers: ECR, Lambda, CloudWatch Logs and every other consumer kind (ECS, scheduled
tasks, Batch, App Runner, EKS), region by region, into one typed inventory."""

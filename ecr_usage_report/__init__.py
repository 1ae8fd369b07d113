"""The ECR usage report's engine. The flow, one package each:

config          every setting, checked before any AWS call
aws/            clients, errors, rate quotas, the per-region scheduler, regions
inventory/      readers (ECR, Lambda, CloudWatch Logs) into one typed inventory (collect)
analysis/       who uses what (join), what to delete (rules), together the findings
report/         the text and the JSON/CSV exports: pure functions of inventory and findings
deliver/        Slack's webhook, the S3 export
run             the whole flow; cli, the command line; manual, the manual's dict shapes
"""

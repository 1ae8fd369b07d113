"""The simulated account used by `make demo` gives the report a user expects."""
from __future__ import annotations

import lambda_function
from devtools.simulated_account import demo_account


def test_demo_account_report_in_dry_run(seed, capsys, monkeypatch):
    seed(demo_account())
    monkeypatch.setenv("REGIONS", "ap-northeast-2,us-east-1,us-west-2,eu-west-1")
    result = lambda_function.lambda_handler({"dry_run": True}, None)
    out = capsys.readouterr().out
    assert result["repositories"] == 6 and result["errors"] == []
    assert "====== REGION ap-northeast-2 Total Size : 6.345 GB ======" in out
    assert "\t- function name : api-prod / last execution time : No Log Group" in out
    assert "\t- function name : ml-inference-batch / last execution time : No Log Stream" in out
    assert "Regions scanned with no ECR repository (1): eu-west-1" in out

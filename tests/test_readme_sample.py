"""The README's sample and docs/sample-report.md are what `make demo` prints (`python -m devtools.sample` rewrites them)."""
from __future__ import annotations

import pytest

from devtools.demo import DEMO_ENV
from devtools.sample import README, SAMPLE_REPORT, comparable, demo_output, readme_summary, sample_report, summary_of
from devtools.simulated_account import demo_account


@pytest.mark.slow
def test_the_readme_and_the_sample_report_show_what_make_demo_prints(seed, monkeypatch):
    seed(demo_account(), every_region=True)
    for name, value in DEMO_ENV.items():
        monkeypatch.setenv(name, value)
    output = demo_output()
    stale = "is not what make demo prints: run `python -m devtools.sample` and read the diff"
    assert comparable(readme_summary(README.read_text(encoding="utf-8"))) == comparable(summary_of(output)), \
        f"README.md's sample {stale}"
    assert comparable(sample_report(SAMPLE_REPORT.read_text(encoding="utf-8"))) == comparable(output), \
        f"docs/sample-report.md {stale}"

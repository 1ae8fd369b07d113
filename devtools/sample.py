"""The README's sample summary and docs/sample-report.md, written from what `make demo` prints.

    python -m devtools.sample      # after a change to the report's text or the demo account

tests/test_readme_sample.py fails while either differs from the demo's output (times aside).
"""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SAMPLE_REPORT = ROOT / "docs" / "sample-report.md"
SUMMARY_START, SUMMARY_END = "<!-- make demo: the summary -->", "<!-- /make demo -->"
DETAILS_TITLE = "[ECR repository 사용 현황]"
FENCE = "````"  # four: the summary holds a ``` block of its own
TIMES = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?")
SAMPLE_HEADING = ("# What `make demo` prints\n\nThe whole report on the built-in simulated account, as `make demo` prints"
                  " it (the README shows its summary). Written by `python -m devtools.sample`; a test checks it.\n\n")


def demo_output() -> str:
    """What `make demo` prints on standard output (the account must be running: demo.demo_account_running)."""
    import lambda_function

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        lambda_function.main(["--dry-run"])
    return printed.getvalue().rstrip("\n")


def summary_of(output: str) -> str:
    """The summary message: everything before the details."""
    return output.split(f"\n\n{DETAILS_TITLE}", 1)[0]


def fenced(text: str) -> str:
    return f"{FENCE}\n{text}\n{FENCE}"


def readme_summary(readme: str) -> str:
    """The sample summary the README shows, between its markers."""
    block = readme.split(SUMMARY_START, 1)[1].split(SUMMARY_END, 1)[0].strip()
    return block.removeprefix(FENCE).removesuffix(FENCE).strip("\n")


def sample_report(document: str) -> str:
    """The whole output that docs/sample-report.md shows."""
    return document.removeprefix(SAMPLE_HEADING).strip().removeprefix(FENCE).removesuffix(FENCE).strip("\n")


def comparable(text: str) -> str:
    """Text with its dates and times masked: the demo's ages are relative to when it runs."""
    return TIMES.sub("<time>", text)


def write(output: str) -> None:
    """Put the output's summary in the README and the whole output in docs/sample-report.md."""
    readme = README.read_text(encoding="utf-8")
    head, rest = readme.split(SUMMARY_START, 1)
    tail = rest.split(SUMMARY_END, 1)[1]
    README.write_text(f"{head}{SUMMARY_START}\n{fenced(summary_of(output))}\n{SUMMARY_END}{tail}", encoding="utf-8")
    SAMPLE_REPORT.write_text(f"{SAMPLE_HEADING}{fenced(output)}\n", encoding="utf-8")


if __name__ == "__main__":
    from devtools.demo import demo_account_running

    with demo_account_running():
        write(demo_output())

"""One dry run of the report handler in a fresh process; prints one JSON line of measurements.

Run by bench/run.py with AWS_ENDPOINT_URL pointing at its simulated account (bench/organization.py
passes the event as its argument: a step of the scale-out). The report text
goes to /dev/null; stdout gets {"handler_s", "total_s", "peak_rss_mb", "ru_maxrss_mb", "cpu_s", "summary"}.

peak_rss_mb is VmHWM, the peak of this process image. ru_maxrss is shown too but not trusted:
Linux carries the parent's peak over fork and exec, so under the benchmark (whose moto server
holds hundreds of MB) it reports the harness, not the handler.
"""
import time

STARTED = time.perf_counter()

import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lambda_function  # noqa: E402


def peak_rss_kb() -> int | None:
    """VmHWM of this process from /proc (None off Linux)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)


def main() -> None:
    """Time the handler alone and the whole script (imports included)."""
    began = time.perf_counter()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        summary = lambda_function.lambda_handler(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {"dry_run": True},
                                                 None)
    ended = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "handler_s": round(ended - began, 3),
        "total_s": round(ended - STARTED, 3),
        "peak_rss_mb": round((peak_rss_kb() or usage.ru_maxrss) / 1024, 1),
        "ru_maxrss_mb": round(usage.ru_maxrss / 1024, 1),  # KB on Linux
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "summary": summary,
    }))


if __name__ == "__main__":
    main()

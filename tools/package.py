"""Build the Lambda deployment package: build/package/ (SAM's CodeUri) and dist/ecr-usage-report.zip.

The package holds the manual's modules (*.py at the repo root) and the engine package
(ecr_usage_report/) at its root, plus `requests` and its dependencies as pure-Python wheels (so it
runs on arm64 and x86_64 alike). boto3 and botocore
are left out: the Lambda Python runtime provides them. The versions shipped are the ones installed
in the Python running this script (the project's venv, the one the tests ran with).

The zip is reproducible: sorted entries, fixed timestamps and permissions, no bytecode, no files
that name the build machine. Building twice gives byte-identical zips.

    python tools/package.py [--out dist/ecr-usage-report.zip] [--build-dir build/package] [--no-zip]

`sam build` fills its own folder through the Makefile's build-ReportFunction target (--no-zip).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ZIP = ROOT / "dist" / "ecr-usage-report.zip"
DEFAULT_BUILD_DIR = ROOT / "build" / "package"
ENGINE = "ecr_usage_report"
RUNTIME_PROVIDED = {"boto3", "botocore"}  # in the Lambda Python runtime; never shipped
LAMBDA_PYTHON = "3.12"  # keep in step with Runtime in template.yaml
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
FILE_MODE = 0o100644  # regular file, rw-r--r--
DROPPED_DIRS = {"__pycache__", "bin"}  # bytecode; console scripts whose shebang names this machine
DROPPED_FILES = {"RECORD"}  # *.dist-info/RECORD hashes those scripts, so it varies by machine
NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class PackageError(RuntimeError):
    """The package cannot be built; the message says what to do."""


def canonical(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(path: Path) -> list[str]:
    """Distribution names of a requirements file (comments, options and `-r` lines skipped)."""
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        match = NAME_RE.match(line)
        if match and not line.startswith("-"):
            names.append(canonical(match.group(1)))
    return names


def pinned_versions(path: Path) -> dict[str, str]:
    """`name==version` pins of a requirements file, by canonical name."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        name, sep, version = line.partition("==")
        if sep and NAME_RE.match(name):
            pins[canonical(name.split("[")[0])] = version.strip()
    return pins


def installed_version(name: str) -> str:
    """Version of a distribution installed in this Python, or a PackageError saying how to get it."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        raise PackageError(
            f"{name} is not installed in {sys.executable}: run this script with the project's venv (make package)"
        ) from None


def dependencies(name: str) -> list[str]:
    """Names a distribution requires (its optional extras left out)."""
    found = []
    for requirement in importlib.metadata.requires(name) or []:
        if "extra" in requirement.partition(";")[2]:
            continue
        match = NAME_RE.match(requirement)
        if match:
            found.append(canonical(match.group(1)))
    return found


def shipped_pins(root: Path = ROOT) -> dict[str, str]:
    """Every distribution the zip carries, with its version: requirements.txt minus what Lambda
    provides, and everything those need, at the versions installed here.

    Raises:
        PackageError: a needed distribution is missing, or differs from requirements-dev.txt's pin.
    """
    dev_pins = pinned_versions(root / "requirements-dev.txt")
    wanted = [name for name in requirement_names(root / "requirements.txt") if name not in RUNTIME_PROVIDED]
    pins: dict[str, str] = {}
    while wanted:
        name = wanted.pop()
        if name in pins or name in RUNTIME_PROVIDED:
            continue
        version = installed_version(name)
        if name in dev_pins and dev_pins[name] != version:
            raise PackageError(
                f"{name} {version} is installed but requirements-dev.txt pins {dev_pins[name]}: "
                "reinstall the venv (make clean && make package)"
            )
        pins[name] = version
        wanted.extend(dependencies(name))
    return dict(sorted(pins.items()))


def product_modules(root: Path = ROOT) -> list[Path]:
    """The Lambda's modules: every *.py at the repo root and in the engine package (tests, devtools,
    bench and tools stay out)."""
    return sorted([*root.glob("*.py"), *(root / ENGINE).rglob("*.py")])


def pip_install(pins: dict[str, str], target: Path) -> None:
    """Install pure-Python wheels of exactly these versions into target, for Lambda's Python."""
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(target), "--no-deps", "--no-compile", "--only-binary=:all:",
        "--platform", "any", "--implementation", "py", "--abi", "none", "--python-version", LAMBDA_PYTHON,
        *(f"{name}=={version}" for name, version in pins.items()),
    ]
    if subprocess.run(command, check=False).returncode != 0:
        raise PackageError(
            "pip could not install " + ", ".join(f"{n}=={v}" for n, v in pins.items())
            + " (see pip's message above): check that PyPI is reachable, or that pip's cache holds them"
        )


def tidy(folder: Path) -> None:
    """Remove bytecode, console scripts and RECORD files: they differ from one machine to another."""
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir() and path.name in DROPPED_DIRS:
            shutil.rmtree(path)
        elif path.is_file() and (path.suffix == ".pyc" or (
                path.name in DROPPED_FILES and path.parent.name.endswith(".dist-info"))):
            path.unlink()


def build_folder(folder: Path, pins: dict[str, str], root: Path = ROOT) -> None:
    """Fill folder (emptied first) with the product modules and the pinned distributions."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for module in product_modules(root):
        target = folder / module.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(module, target)
    pip_install(pins, folder)
    tidy(folder)
    shipped = {path.name.split("-")[0].lower() for path in folder.iterdir()}
    leaked = shipped & RUNTIME_PROVIDED
    if leaked:
        raise PackageError(f"{', '.join(sorted(leaked))} ended up in the package; the Lambda runtime provides them")


def write_zip(folder: Path, out: Path) -> None:
    """Zip folder's files, sorted, with fixed dates and permissions (no directory entries)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    files = sorted((path for path in folder.rglob("*") if path.is_file()), key=lambda p: p.relative_to(folder).as_posix())
    with zipfile.ZipFile(partial, "w") as archive:
        for path in files:
            entry = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=ZIP_DATE)
            entry.create_system = 3  # Unix, so the permissions below are read
            entry.external_attr = FILE_MODE << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes(), compresslevel=9)
    partial.replace(out)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(out: Path | None = DEFAULT_ZIP, folder: Path = DEFAULT_BUILD_DIR) -> tuple[dict[str, str], str | None]:
    """Build the folder and (unless `out` is None) the zip. Returns (the distributions shipped, the zip's sha256)."""
    pins = shipped_pins()
    build_folder(folder, pins)
    if out is None:
        return pins, None
    write_zip(folder, out)
    return pins, sha256_of(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(prog="python tools/package.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_ZIP, help="zip to write (default: dist/ecr-usage-report.zip)")
    parser.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR,
                        help="folder to fill, emptied first (default: build/package)")
    parser.add_argument("--no-zip", action="store_true", help="fill the folder only (what `sam build` asks for)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Build, then print what was built."""
    args = parse_args(argv)
    try:
        pins, digest = build(None if args.no_zip else args.out.resolve(), args.build_dir.resolve())
    except PackageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("shipped: " + ", ".join(f"{name}=={version}" for name, version in pins.items()))
    print(f"folder: {args.build_dir}")
    if digest is None:
        return 0
    print(f"zip: {args.out}")
    print(f"size: {args.out.stat().st_size} bytes")
    print(f"sha256: {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Helpers shared by the benchmark scripts: child-process timing, medians, machine facts."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


class BenchmarkError(RuntimeError):
    """A run failed or its results did not check out, so its figures must not be reported."""


@dataclass(frozen=True)
class ChildRun:
    """One finished child process.

    `wall_s` runs from just before the fork to the reaping of the child, so interpreter
    start-up and imports are included. `peak_rss_mb` is the child's `ru_maxrss` as returned
    by `wait4`, which is the kernel's high-water mark of its resident set (VmHWM). `cpu_s` is
    its user plus system CPU time.
    """

    argv: tuple[str, ...]
    returncode: int
    wall_s: float
    peak_rss_mb: float
    cpu_s: float
    stdout: str
    stderr: str


def run_child(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None) -> ChildRun:
    """Run `argv` to completion and return its wall time, peak RSS and output.

    Output goes to temporary files, not pipes, so a child that writes a lot never blocks
    while this process waits in `wait4`.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall_s = time.perf_counter() - started
        # wait4 reaped the child, so tell Popen, or it would try to reap it again.
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", errors="replace")
        stderr = err.read().decode("utf-8", errors="replace")
    # Linux reports ru_maxrss in KiB.
    return ChildRun(
        argv=tuple(argv),
        returncode=process.returncode,
        wall_s=wall_s,
        peak_rss_mb=usage.ru_maxrss / 1024.0,
        cpu_s=usage.ru_utime + usage.ru_stime,
        stdout=stdout,
        stderr=stderr,
    )


def require_success(run: ChildRun, description: str) -> None:
    """Raise `BenchmarkError` with the tail of stderr if `run` exited with a nonzero status."""
    if run.returncode != 0:
        tail = run.stderr.strip()[-2000:]
        raise BenchmarkError(f"{description} exited with status {run.returncode}: {tail}")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def write_jsonl_cases(path: Path, n: int, *, with_output: bool) -> None:
    """Write `n` cases `{"id": "c{i}", "input": "case {i}", "expected": "CASE {i}"}`.

    `with_output` adds the recorded output `"output": "CASE {i}"`, equal to the expected one.
    """
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            if with_output:
                line = (
                    f'{{"id": "c{i}", "input": "case {i}", "expected": "CASE {i}", '
                    f'"output": "CASE {i}"}}\n'
                )
            else:
                line = f'{{"id": "c{i}", "input": "case {i}", "expected": "CASE {i}"}}\n'
            handle.write(line)


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def _memory_gib() -> float | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / (1024 * 1024)
    return None


def _git(*args: str) -> str | None:
    try:
        completed = subprocess.run(
            ["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return completed.stdout.strip()


def _git_commit() -> str:
    """Return the short HEAD commit, flagged when `src/` has uncommitted changes."""
    commit = _git("rev-parse", "--short", "HEAD")
    if commit is None:
        return "unknown"
    changed = _git("status", "--porcelain", "--", "src")
    if changed:
        count = len(changed.splitlines())
        return f"{commit} plus uncommitted changes to {count} files under src/"
    return commit


def _python_version(python: Path) -> str:
    try:
        completed = subprocess.run(
            [str(python), "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return completed.stdout.strip()


def machine_facts(python: Path) -> dict[str, str]:
    """Return the facts a results table states: CPUs, CPU model, RAM, Python, commit, date."""
    memory = _memory_gib()
    load_1m, load_5m, _ = os.getloadavg()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": f"{len(os.sched_getaffinity(0))} usable of {os.cpu_count()}",
        "cpu_model": _cpu_model(),
        "ram": f"{memory:.1f} GiB" if memory is not None else "unknown",
        "python": f"{_python_version(python)} ({python})",
        "evalgauge_commit": _git_commit(),
        "load_average_at_start": f"{load_1m:.2f} (1 min), {load_5m:.2f} (5 min)",
    }


def print_facts(facts: Mapping[str, str]) -> None:
    for key, value in facts.items():
        print(f"{key:>22}: {value}")


def evalgauge_executable(python: Path) -> Path:
    """Return the `evalgauge` console script installed next to `python`."""
    return python.parent / "evalgauge"

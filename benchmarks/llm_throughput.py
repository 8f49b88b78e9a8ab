"""LLM-bound throughput: evalgauge against a local OpenAI-compatible server with fixed latency.

The fake server (the test suite's, started in its own process by `_llm_server.py`) replies to
each chat request with the user message upper-cased after `--latency-ms`. With
`--concurrency` requests in flight, no client can exceed concurrency / latency requests per
second, so the report gives evalgauge's sustained throughput as a percentage of that bound.
Baseline clients with the same concurrency, in this process and without evalgauge, run
side by side in every repeat: httpx2 (the HTTP client under evalgauge's OpenAI client) shows
what the HTTP client alone costs, and hand-written HTTP over asyncio streams shows what the
server and the two-core machine allow.

Run from the repository root:

    .venv/bin/python benchmarks/llm_throughput.py --requests 3000 --concurrency 64 --latency-ms 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from _harness import (
    BenchmarkError,
    ChildRun,
    evalgauge_executable,
    machine_facts,
    median,
    print_facts,
    require_success,
    run_child,
    write_jsonl_cases,
)
from _raw_clients import CLIENTS, MODEL, client_pass

SERVER_SCRIPT = Path(__file__).resolve().with_name("_llm_server.py")
API_KEY_ENV = "EVALGAUGE_BENCH_API_KEY"
# Seconds to wait for the server to print its base URL.
SERVER_START_TIMEOUT_S = 30.0
# Target from the project's performance goals, printed next to the figures.
TARGET_PERCENT_OF_BOUND = 90.0


class LLMServer:
    """The fake server process; a context manager that stops it on exit."""

    def __init__(self, python: Path, latency_ms: float) -> None:
        self._argv = [str(python), str(SERVER_SCRIPT), "--latency-ms", str(latency_ms)]
        self._process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> LLMServer:
        self._process = subprocess.Popen(
            self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.base_url = self._read_line(SERVER_START_TIMEOUT_S).strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            raise BenchmarkError(f"fake server printed {self.base_url!r}, not a base URL")
        return self

    def __exit__(self, *exc_info: object) -> None:
        process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(timeout=15)
        self._process = None

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise BenchmarkError("fake server is not running")
        return process.stdin, process.stdout

    def _read_line(self, timeout_s: float) -> str:
        _, stdout = self._pipes()
        # A blocking readline in a thread gives the start-up read a deadline.
        from concurrent.futures import ThreadPoolExecutor
        from concurrent.futures import TimeoutError as FutureTimeout

        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(stdout.readline)
            try:
                line = future.result(timeout=timeout_s)
            except FutureTimeout:
                raise BenchmarkError(
                    f"fake server printed nothing within {timeout_s:g} s"
                ) from None
        if not line:
            raise BenchmarkError("fake server exited before printing its base URL")
        return line

    def take_stats(self) -> dict[str, Any]:
        """Return the server's request counts since the last call, and reset them."""
        stdin, stdout = self._pipes()
        stdin.write("stats\n")
        stdin.flush()
        stats: dict[str, Any] = json.loads(stdout.readline())
        return stats


@dataclass(frozen=True)
class Measurement:
    """One timed pass over every request, by evalgauge or by a baseline client.

    `elapsed_s` is the time spent sending requests (for evalgauge the run loop's own
    `elapsed_s`), and `wall_s` adds start-up and shutdown: interpreter, imports, store and
    scorecard for evalgauge, client set-up for a baseline. `client_cpu_s` covers the same
    span as `wall_s`, and `server` contains the fake server's counters for the pass.
    """

    client: str
    processed: int
    elapsed_s: float
    wall_s: float
    client_cpu_s: float
    server: dict[str, Any]
    peak_rss_mb: float | None = None

    @property
    def rate(self) -> float:
        return self.processed / self.elapsed_s


def measure_baseline(server: LLMServer, client: str, n: int, concurrency: int) -> Measurement:
    """Run one pass of a baseline client in this process."""
    cpu_started = time.process_time()
    started = time.perf_counter()
    answered, elapsed = asyncio.run(client_pass(client, server.base_url, n, concurrency))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return Measurement(client, answered, elapsed, wall, cpu, server.take_stats())


def evalgauge_argv(
    executable: Path, data: Path, database: Path, base_url: str, concurrency: int
) -> list[str]:
    return [
        str(executable),
        "run",
        str(data),
        "--id-field",
        "id",
        "--expected",
        "expected",
        "--target",
        f"openai:{MODEL}",
        "--base-url",
        base_url,
        "--api-key-env",
        API_KEY_ENV,
        "--scorer",
        "exact_match",
        "--concurrency",
        str(concurrency),
        "--database",
        f"sqlite:///{database}",
        "--json",
    ]


def check_run(card: dict[str, Any], database: Path, n: int) -> None:
    """Raise `BenchmarkError` unless every case got the expected reply and was stored."""
    invocation = card["invocation"]
    if invocation["status"] != "completed":
        raise BenchmarkError(f"run ended with status {invocation['status']!r}")
    if invocation["processed"] != n or invocation["errored"] != 0 or card["target_errors"]:
        raise BenchmarkError(
            f"run processed {invocation['processed']} of {n} cases with "
            f"{invocation['errored']} errors ({card['error_types']})"
        )
    metric = next((m for m in card["metrics"] if m["name"] == "exact_match"), None)
    if metric is None or metric["scored"] != n or metric["mean"] != 1.0:
        raise BenchmarkError(f"exact_match is not 1.0 over {n} cases: {metric}")
    run_id = invocation["run_id"]
    with sqlite3.connect(database) as connection:
        stored = connection.execute(
            "SELECT count(*) FROM case_results WHERE run_id = ? AND error_type IS NULL",
            (run_id,),
        ).fetchone()[0]
    connection.close()
    if stored != n:
        raise BenchmarkError(f"store has {stored} case results without an error, expected {n}")


def measure_evalgauge(
    args: argparse.Namespace, server: LLMServer, data: Path, database: Path, workdir: Path
) -> Measurement:
    """Run one evalgauge process on a fresh database and check its scorecard and store."""
    database.unlink(missing_ok=True)
    env = os.environ | {API_KEY_ENV: "unused"}
    argv = evalgauge_argv(args.evalgauge, data, database, server.base_url, args.concurrency)
    child: ChildRun = run_child(argv, cwd=workdir, env=env)
    require_success(child, "evalgauge run")
    card = json.loads(child.stdout)
    check_run(card, database, args.requests)
    return Measurement(
        client="evalgauge",
        processed=int(card["invocation"]["processed"]),
        elapsed_s=float(card["invocation"]["elapsed_s"]),
        wall_s=child.wall_s,
        client_cpu_s=child.cpu_s,
        server=server.take_stats(),
        peak_rss_mb=child.peak_rss_mb,
    )


def check_server(client: str, stats: dict[str, Any], n: int, concurrency: int) -> None:
    if stats["chat_requests"] != n or stats["script_errors"]:
        raise BenchmarkError(f"{client}: server saw {stats}, expected {n} chat requests")
    if stats["max_in_flight"] > concurrency:
        raise BenchmarkError(
            f"{client}: {stats['max_in_flight']} requests in flight, "
            f"over --concurrency {concurrency}"
        )


CLIENT_LABELS = {
    "evalgauge": "evalgauge run (own process)",
    "httpx2": "httpx2.AsyncClient, no evalgauge",
    "httpx": "httpx.AsyncClient, no evalgauge",
    "streams": "asyncio streams, hand-written HTTP/1.1",
}


def report(
    args: argparse.Namespace, runs: dict[str, list[Measurement]], bound: float
) -> dict[str, Any]:
    n = args.requests
    print(
        f"\nLLM-bound throughput, {n} requests, concurrency {args.concurrency}, "
        f"{args.latency_ms:g} ms per reply, median of {args.repeat}"
    )
    print(f"bound = {args.concurrency} / {args.latency_ms / 1000:g} s = {bound:,.0f} req/s")
    print(
        "| client | req/s | % of bound | req/s incl. start-up | client CPU ms/req | "
        "server CPU ms/req | max in flight |"
    )
    print("|---|---|---|---|---|---|---|")
    for client, measurements in runs.items():
        rate = median([m.rate for m in measurements])
        wall_rate = median([m.processed / m.wall_s for m in measurements])
        client_cpu = median([1000 * m.client_cpu_s / m.processed for m in measurements])
        server_cpu = median([1000 * m.server["cpu_s"] / m.processed for m in measurements])
        in_flight = max(m.server["max_in_flight"] for m in measurements)
        print(
            f"| {CLIENT_LABELS[client]} | {rate:,.0f} | {100 * rate / bound:.1f} | "
            f"{wall_rate:,.0f} | {client_cpu:.2f} | {server_cpu:.2f} | {in_flight} |"
        )

    ours = runs["evalgauge"]
    percent = 100 * median([m.rate for m in ours]) / bound
    verdict = "met" if percent >= TARGET_PERCENT_OF_BOUND else "missed"
    peak = median([m.peak_rss_mb for m in ours if m.peak_rss_mb is not None])
    print(f"\nevalgauge peak RSS {peak:.0f} MB")
    for client, measurements in runs.items():
        if client == "evalgauge":
            continue
        ratios = [o.rate / b.rate for o, b in zip(ours, measurements, strict=True)]
        print(
            f"evalgauge / {client} per repeat: {', '.join(f'{x:.2f}' for x in ratios)} "
            f"(median {median(ratios):.2f})"
        )
    print(f"target >= {TARGET_PERCENT_OF_BOUND:g}% of bound: {percent:.1f}%, {verdict}")
    return {
        "bound_req_s": bound,
        "runs": {
            client: [asdict(m) for m in measurements] for client, measurements in runs.items()
        },
    }


def parse_clients(text: str) -> list[str]:
    clients = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(clients) - set(CLIENTS))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown client {', '.join(unknown)}; choose from {', '.join(CLIENTS)}"
        )
    return clients


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=3000, help="cases, one request each")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument(
        "--latency-ms", type=float, default=100.0, help="server delay per reply, in ms"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument(
        "--baselines",
        type=parse_clients,
        default=["httpx2", "streams"],
        help="comma-separated baseline clients from httpx2, httpx, streams "
        "(default httpx2,streams; evalgauge's OpenAI client uses httpx2)",
    )
    parser.add_argument(
        "--evalgauge",
        type=Path,
        default=evalgauge_executable(Path(sys.executable)),
        help="evalgauge executable (default: the one next to this Python)",
    )
    parser.add_argument("--json-out", type=Path, help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.repeat < 1 or args.latency_ms <= 0:
        parser.error("--requests, --concurrency, --repeat and --latency-ms must be positive")
    return args


def run_all(args: argparse.Namespace, workdir: Path) -> dict[str, list[Measurement]]:
    """Run evalgauge and every baseline once per repeat, rotating which one goes first."""
    data = workdir / f"requests-{args.requests}.jsonl"
    write_jsonl_cases(data, args.requests, with_output=False)
    clients = ["evalgauge", *args.baselines]
    runs: dict[str, list[Measurement]] = {client: [] for client in clients}
    with LLMServer(Path(sys.executable), args.latency_ms) as server:
        server.take_stats()  # drop anything counted before the first pass
        for repeat in range(args.repeat):
            shift = repeat % len(clients)
            for client in clients[shift:] + clients[:shift]:
                if client == "evalgauge":
                    database = workdir / f"llm-{repeat}.db"
                    m = measure_evalgauge(args, server, data, database, workdir)
                else:
                    m = measure_baseline(server, client, args.requests, args.concurrency)
                check_server(client, m.server, args.requests, args.concurrency)
                runs[client].append(m)
                print(
                    f"  repeat {repeat + 1}: {client} {m.rate:,.0f} req/s (wall {m.wall_s:.2f} s)",
                    file=sys.stderr,
                )
    return runs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    facts = machine_facts(Path(sys.executable))
    print_facts(facts)
    bound = args.concurrency / (args.latency_ms / 1000.0)
    with tempfile.TemporaryDirectory(prefix="evalgauge-bench-") as tmp:
        runs = run_all(args, Path(tmp))
    figures = report(args, runs, bound)
    if args.json_out is not None:
        arguments = vars(args) | {"evalgauge": str(args.evalgauge)}
        payload = {"machine": facts, "arguments": arguments, "results": figures}
        args.json_out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

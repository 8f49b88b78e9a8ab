"""LLM-bound throughput: evalgauge against a local OpenAI-compatible server with fixed latency.

The fake server (the test suite's, started in its own process by `_llm_server.py`) answers
each chat request with the user message upper-cased after `--latency-ms`. With
`--concurrency` requests in flight, no client can exceed concurrency / latency requests per
second, so the report gives evalgauge's sustained throughput as a percentage of that bound.
A raw httpx2 client with the same concurrency, in this process and without evalgauge, runs
side by side in every repeat to show how much of the gap the HTTP client and the two-core
machine already cost.

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
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

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

SERVER_SCRIPT = Path(__file__).resolve().with_name("_llm_server.py")
API_KEY_ENV = "EVALGAUGE_BENCH_API_KEY"
MODEL = "bench"
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
    """One timed pass over every request, by evalgauge or by the raw client."""

    processed: int
    elapsed_s: float
    wall_s: float
    server: dict[str, Any]
    peak_rss_mb: float | None = None


async def _raw_client_pass(
    base_url: str, n: int, concurrency: int, client_module: str
) -> tuple[int, float]:
    """Send `n` chat requests with `concurrency` workers; return (answered, elapsed s)."""
    if client_module == "httpx":
        import httpx as http
    else:
        import httpx2 as http  # type: ignore[no-redef]

    limits = http.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    url = f"{base_url}/chat/completions"
    headers = {"authorization": "Bearer unused", "content-type": "application/json"}
    pending = iter(range(n))
    failures: list[str] = []
    answered = 0

    async def worker(client: Any) -> None:
        nonlocal answered
        for i in pending:
            body = {
                "model": MODEL,
                "messages": [{"role": "user", "content": f"case {i}"}],
                "temperature": 0.0,
            }
            response = await client.post(url, content=orjson.dumps(body), headers=headers)
            if response.status_code != 200:
                failures.append(f"case {i}: HTTP {response.status_code}")
                continue
            content = orjson.loads(response.content)["choices"][0]["message"]["content"]
            if content != f"CASE {i}":
                failures.append(f"case {i}: reply {content!r}")
                continue
            answered += 1

    async with http.AsyncClient(limits=limits, timeout=60.0) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    if failures:
        raise BenchmarkError(f"raw client: {len(failures)} failed requests, first: {failures[0]}")
    return answered, elapsed


def measure_raw(server: LLMServer, n: int, concurrency: int, client_module: str) -> Measurement:
    started = time.perf_counter()
    answered, elapsed = asyncio.run(
        _raw_client_pass(server.base_url, n, concurrency, client_module)
    )
    wall = time.perf_counter() - started
    return Measurement(answered, elapsed, wall, server.take_stats())


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
    """Raise `BenchmarkError` unless every case got a correct answer and was stored."""
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
        raise BenchmarkError(f"store has {stored} answered case results of {n}")


def measure_evalgauge(
    args: argparse.Namespace, server: LLMServer, data: Path, database: Path, workdir: Path
) -> Measurement:
    database.unlink(missing_ok=True)
    env = os.environ | {API_KEY_ENV: "unused"}
    argv = evalgauge_argv(args.evalgauge, data, database, server.base_url, args.concurrency)
    child: ChildRun = run_child(argv, cwd=workdir, env=env)
    require_success(child, "evalgauge run")
    card = json.loads(child.stdout)
    check_run(card, database, args.requests)
    return Measurement(
        processed=int(card["invocation"]["processed"]),
        elapsed_s=float(card["invocation"]["elapsed_s"]),
        wall_s=child.wall_s,
        server=server.take_stats(),
        peak_rss_mb=child.peak_rss_mb,
    )


def check_server(what: str, stats: dict[str, Any], n: int, concurrency: int) -> None:
    if stats["chat_requests"] != n or stats["script_errors"]:
        raise BenchmarkError(f"{what}: server saw {stats}, expected {n} chat requests")
    if stats["max_in_flight"] > concurrency:
        raise BenchmarkError(
            f"{what}: {stats['max_in_flight']} requests in flight, over --concurrency {concurrency}"
        )


def report(
    args: argparse.Namespace, ours: list[Measurement], raw: list[Measurement], bound: float
) -> dict[str, Any]:
    n = args.requests
    engine_rate = median([m.processed / m.elapsed_s for m in ours])
    wall_rate = median([m.processed / m.wall_s for m in ours])
    raw_rate = median([m.processed / m.elapsed_s for m in raw])
    print(
        f"\nLLM-bound throughput, {n} requests, concurrency {args.concurrency}, "
        f"{args.latency_ms:g} ms per reply, median of {args.repeat}"
    )
    print(f"bound = {args.concurrency} / {args.latency_ms / 1000:g} s = {bound:,.0f} req/s")
    print("| client | req/s | % of bound | max in flight |")
    print("|---|---|---|---|")
    ours_in_flight = max(m.server["max_in_flight"] for m in ours)
    raw_in_flight = max(m.server["max_in_flight"] for m in raw)
    print(
        f"| evalgauge, processed / elapsed_s | {engine_rate:,.0f} | "
        f"{100 * engine_rate / bound:.1f} | {ours_in_flight} |"
    )
    print(
        f"| evalgauge, processed / whole-process wall | {wall_rate:,.0f} | "
        f"{100 * wall_rate / bound:.1f} | {ours_in_flight} |"
    )
    print(
        f"| raw {args.raw_client} AsyncClient, one process | {raw_rate:,.0f} | "
        f"{100 * raw_rate / bound:.1f} | {raw_in_flight} |"
    )
    ratio = [o.processed / o.elapsed_s / (r.processed / r.elapsed_s) for o, r in zip(ours, raw)]
    peak = median([m.peak_rss_mb for m in ours if m.peak_rss_mb is not None])
    verdict = "met" if 100 * engine_rate / bound >= TARGET_PERCENT_OF_BOUND else "missed"
    print(
        f"\nevalgauge / raw client, per repeat: {', '.join(f'{x:.2f}' for x in ratio)}; "
        f"evalgauge peak RSS {peak:.0f} MB"
    )
    print(f"target >= {TARGET_PERCENT_OF_BOUND:g}% of bound (processed / elapsed_s): {verdict}")
    return {
        "bound_req_s": bound,
        "evalgauge_engine_req_s": [m.processed / m.elapsed_s for m in ours],
        "evalgauge_wall_req_s": [m.processed / m.wall_s for m in ours],
        "evalgauge_elapsed_s": [m.elapsed_s for m in ours],
        "evalgauge_wall_s": [m.wall_s for m in ours],
        "evalgauge_peak_rss_mb": [m.peak_rss_mb for m in ours],
        "raw_req_s": [m.processed / m.elapsed_s for m in raw],
        "per_repeat_ratio": ratio,
        "server": {"evalgauge": [m.server for m in ours], "raw": [m.server for m in raw]},
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=3000, help="cases, one request each")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument(
        "--latency-ms", type=float, default=100.0, help="server delay per reply, in ms"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument(
        "--raw-client",
        choices=["httpx2", "httpx"],
        default="httpx2",
        help="HTTP client of the baseline (evalgauge's OpenAI client uses httpx2)",
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    facts = machine_facts(Path(sys.executable))
    print_facts(facts)
    bound = args.concurrency / (args.latency_ms / 1000.0)
    ours: list[Measurement] = []
    raw: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="evalgauge-bench-") as tmp:
        workdir = Path(tmp)
        data = workdir / f"requests-{args.requests}.jsonl"
        write_jsonl_cases(data, args.requests, with_output=False)
        with LLMServer(Path(sys.executable), args.latency_ms) as server:
            server.take_stats()  # drop anything counted before the first pass
            for repeat in range(args.repeat):
                order = ["evalgauge", "raw"] if repeat % 2 == 0 else ["raw", "evalgauge"]
                for name in order:
                    if name == "evalgauge":
                        database = workdir / f"llm-{repeat}.db"
                        m = measure_evalgauge(args, server, data, database, workdir)
                        check_server("evalgauge", m.server, args.requests, args.concurrency)
                        ours.append(m)
                    else:
                        m = measure_raw(server, args.requests, args.concurrency, args.raw_client)
                        check_server("raw client", m.server, args.requests, args.concurrency)
                        raw.append(m)
                    print(
                        f"  repeat {repeat + 1}: {name} {m.processed / m.elapsed_s:,.0f} req/s "
                        f"(wall {m.wall_s:.2f} s)",
                        file=sys.stderr,
                    )
    figures = report(args, ours, raw, bound)
    if args.json_out is not None:
        payload = {"machine": facts, "arguments": vars(args) | {"evalgauge": str(args.evalgauge)}}
        payload["results"] = figures
        args.json_out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

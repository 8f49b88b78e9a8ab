"""Run the test suite's fake OpenAI-compatible server in its own process for a benchmark.

Every chat reply is the last user message upper-cased, sent after `--latency-ms`. The
process prints the base URL on the first line of stdout and serves until its stdin closes
or it gets SIGTERM or SIGINT. Each line `stats` on stdin makes it print one JSON line of
request counts and CPU seconds (all threads) since the previous `stats` and reset
them, so send it only while no request
is in flight.

It puts the repository root on `sys.path` to import `tests.fakes`. Run it with the
project's Python, which has uvicorn and orjson:

    .venv/bin/python benchmarks/_llm_server.py --latency-ms 100
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.fakes.llm_server import FakeLLMServer

REPO_ROOT = Path(__file__).resolve().parents[1]


class _Stop(Exception):
    """Raised by the signal handler to leave the blocking read of stdin."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--latency-ms", type=float, default=100.0, help="delay before each chat reply, in ms"
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO_ROOT))
    from tests.fakes.llm_server import FakeLLMServer, delayed, echo_script

    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    script = delayed(echo_script, args.latency_ms / 1000.0)
    with FakeLLMServer(script) as server:
        print(server.base_url, flush=True)
        cpu_since = time.process_time()
        try:
            for line in sys.stdin:
                command = line.strip()
                if command == "stats":
                    print(json.dumps(_stats(server, cpu_since)), flush=True)
                    server.reset()
                    cpu_since = time.process_time()
                elif command:
                    print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
        except _Stop:
            pass
    return 0


def _stats(server: FakeLLMServer, cpu_since: float) -> dict[str, object]:
    return {
        "cpu_s": time.process_time() - cpu_since,
        "requests": server.request_count,
        "chat_requests": len(server.requests),
        "max_in_flight": server.max_in_flight,
        "script_errors": len(server.script_errors),
        "paths": dict(server.paths),
    }


if __name__ == "__main__":
    sys.exit(main())

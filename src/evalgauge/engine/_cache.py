"""A content-addressed cache of model responses in one SQLite file.

The key is the SHA-256 of the model identity and the whole request (messages, temperature,
max tokens, extra parameters), so any change to the prompt or the model misses. A cached
response keeps the latency and time to first token recorded when it was first fetched.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import orjson

from evalgauge.models._base import ChatResponse, Usage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model_identity TEXT NOT NULL,
    response_json TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


class ResponseCache:
    """Get and put chat responses by request fingerprint; safe to share across tasks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.execute(_SCHEMA)
        self._lock = threading.Lock()

    def get(self, key: str) -> ChatResponse | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT response_json FROM responses WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        data = orjson.loads(row[0])
        return ChatResponse(
            text=data["text"],
            usage=Usage(**data["usage"]),
            model=data["model"],
            latency_ms=data["latency_ms"],
            cached=True,
            ttft_ms=data.get("ttft_ms"),
        )

    def put(self, key: str, model_identity: str, response: ChatResponse) -> None:
        payload = {
            "text": response.text,
            "usage": {
                "input_tokens": response.usage.input_tokens,
                "output_tokens": response.usage.output_tokens,
                "cached_input_tokens": response.usage.cached_input_tokens,
                "reasoning_tokens": response.usage.reasoning_tokens,
                "cache_write_tokens": response.usage.cache_write_tokens,
            },
            "model": response.model,
            "latency_ms": response.latency_ms,
            "ttft_ms": response.ttft_ms,
        }
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)",
                (key, model_identity, orjson.dumps(payload).decode(), time.time()),
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()

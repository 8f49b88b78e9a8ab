"""The orders example service for tests: its files, its cases, and the HTTP app on a free port."""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "examples" / "orders_service"
OPENAPI = EXAMPLE_DIR / "openapi.yaml"
CASES = EXAMPLE_DIR / "cases.jsonl"
BACKEND = f"{EXAMPLE_DIR / 'backend.py'}:OrdersBackend"


def load_example(name: str) -> ModuleType:
    """Import `examples/orders_service/<name>.py`, which is not an installed package."""
    path = EXAMPLE_DIR / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"orders_service_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def case_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]


@contextmanager
def running_service(db_path: Path) -> Iterator[str]:
    """Start the orders app on 127.0.0.1 and a free port; yield its base URL."""
    app = load_example("app")
    server = app.make_server(db_path)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

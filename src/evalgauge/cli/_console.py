"""Consoles: stdout for results, stderr for everything a human reads next to `--json`."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console


def consoles(json_output: bool) -> tuple[Console, Console]:
    """Return (results, messages): with --json both human streams go to stderr."""
    err = Console(stderr=True)
    out = err if json_output else Console()
    return out, err


def write_json(data: Any) -> None:
    import orjson

    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
    sys.stdout.flush()

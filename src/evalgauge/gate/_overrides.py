"""Overrides: who let which failing rule pass, why, for which commit and until when.

Each override is kept twice: in the overrides file committed to the repository, where it is
reviewed like code, and in the results store, which keeps the audit trail even after the
file changes.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert

from evalgauge.contract import Contract
from evalgauge.errors import ConfigError, UsageError
from evalgauge.gate._report import Override
from evalgauge.store import Store
from evalgauge.store._schema import gate_overrides


def load_overrides(path: Path) -> list[Override]:
    """Read the overrides file; a missing file means no overrides."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the overrides file {str(path)!r}: {exc}") from None
    entries = data.get("overrides", []) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected a mapping with an `overrides:` list")
    return [_parse(path, index, entry) for index, entry in enumerate(entries)]


def _parse(path: Path, index: int, entry: Any) -> Override:
    where = f"{path}: overrides.{index}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(entry).__name__}")
    missing = [k for k in ("rule", "reason", "approver", "expires") if not entry.get(k)]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}")
    try:
        expires = date.fromisoformat(str(entry["expires"]))
        created = entry.get("created_at")
        created_at = datetime.fromisoformat(str(created)) if created else datetime.now(UTC)
    except ValueError as exc:
        raise ConfigError(f"{where}: invalid date: {exc}; write YYYY-MM-DD") from None
    return Override(
        rule=str(entry["rule"]),
        reason=str(entry["reason"]),
        approver=str(entry["approver"]),
        created_at=created_at,
        expires=expires,
        commit=entry.get("commit"),
    )


def check_override(
    contract: Contract, rule: str, reason: str, approver: str, expires: str, today: date
) -> date:
    """Validate a new override before anything is written; return its expiry date."""
    rule_ids = [gate.rule_id for gate in contract.gates]
    if rule not in rule_ids:
        raise UsageError(
            f"--override {rule!r} names no rule of the contract; rules: "
            + (", ".join(repr(r) for r in rule_ids) or "(none)")
        )
    if not reason.strip():
        raise UsageError("--reason is empty; say why the rule may fail, for the review")
    if not approver.strip():
        raise UsageError("--approver is empty; name who approves the override")
    try:
        expiry = date.fromisoformat(expires)
    except ValueError:
        raise UsageError(f"--expires {expires!r} is not a date; write YYYY-MM-DD") from None
    if expiry < today:
        raise UsageError(
            f"--expires {expiry} is in the past (today is {today}); an override must expire "
            "today or later"
        )
    return expiry


def record_override(path: Path, store: Store, override: Override) -> None:
    """Append the override to the file (written whole, then renamed) and to the store."""
    existing = load_overrides(path)
    entries = [_entry(o) for o in [*existing, override]]
    text = yaml.safe_dump({"overrides": entries}, sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".overrides-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    with store.engine.begin() as conn:
        conn.execute(
            insert(gate_overrides).values(
                rule=override.rule,
                reason=override.reason,
                approver=override.approver,
                created_at=override.created_at,
                expires=override.expires,
                git_commit=override.commit,
            )
        )


def _entry(override: Override) -> dict[str, Any]:
    return {
        "rule": override.rule,
        "reason": override.reason,
        "approver": override.approver,
        "created_at": override.created_at.isoformat(timespec="seconds"),
        "expires": override.expires.isoformat(),
        "commit": override.commit,
    }

"""`evalgauge sql eval` on Spider's files and on small suites written by the tests."""

from __future__ import annotations

import json
import pickle
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from evalgauge.cli.main import main
from evalgauge.scorers.sql import QueryResult
from tests._env import require_file, shared_data_dir

PREDICTIONS = "c3sql_gpt-3.5-turbo_dev_predicted_sql.txt"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    captured = capsys.readouterr()
    code = exited.value.code
    return int(code) if isinstance(code, int) else 0, captured.out, captured.err


def _write_db(path: Path, rows: list[tuple[int, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE item (id INTEGER, name TEXT)")
    connection.executemany("INSERT INTO item VALUES (?, ?)", rows)
    connection.commit()
    connection.close()


@pytest.fixture
def spider() -> Path:
    folder = shared_data_dir() / "spider-dev"
    require_file(folder / "dev_gold.sql")
    return folder


def test_spider_tse_json(spider: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        [
            "sql", "eval",
            "--gold", str(spider / "dev_gold.sql"),
            "--pred", str(spider / "predictions" / PREDICTIONS),
            "--db-dir", str(spider / "database"),
            "--dev", str(spider / "dev.json"),
            "--preset", "tse",
            "--json",
        ],
        capsys,
    )  # fmt: skip
    assert code == 0
    document = json.loads(out)
    summary = document["summary"]
    assert summary["questions"] == 1034
    assert summary["scored"] == 972
    assert summary["overall"]["correct"] == 804
    assert summary["verdicts"]["database_missing"] == 62
    assert summary["overall"]["ci_low"] < 804 / 972 < summary["overall"]["ci_high"]
    assert list(summary["by_hardness"]) == ["easy", "medium", "hard", "extra"]
    assert sum(g["n"] for g in summary["by_hardness"].values()) == 972
    assert "wta_1" not in summary["by_database"]
    assert summary["both_empty"] > 0
    records: list[dict[str, Any]] = document["questions"]
    missing = [r for r in records if r["db_id"] == "wta_1"]
    assert len(missing) == 62
    assert {r["verdict"] for r in missing} == {"database_missing"}
    mismatch = next(r for r in records if r["verdict"] == "mismatch")
    assert mismatch["detail"]


def test_spider_text_output(spider: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        [
            "sql", "eval",
            "--gold", str(spider / "dev_gold.sql"),
            "--pred", str(spider / "predictions" / PREDICTIONS),
            "--db-dir", str(spider / "database"),
        ],
        capsys,
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["0", "concert_singer", "match"]
    assert any(" mismatch (" in line and "missing [" in line for line in lines)
    assert any("database_missing" in line and "wta_1" in line for line in lines)
    assert "execution accuracy, preset default" in out
    assert "by hardness:" in out
    assert "by feature:" in out


def test_suite_needs_every_instance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [(1, "a"), (2, "b"), (3, "c")]
    _write_db(tmp_path / "db" / "shop" / "shop.sqlite", rows)
    _write_db(tmp_path / "suite" / "shop" / "shop_1.sqlite", [*rows, (4, "a")])
    gold = tmp_path / "gold.sql"
    gold.write_text("SELECT name FROM item WHERE id < 10\tshop\nSELECT count(*) FROM item\tshop\n")
    pred = tmp_path / "pred.txt"
    # the first prediction agrees on the original database only
    pred.write_text("SELECT name FROM item WHERE id < 4\nSELECT count(id) FROM item\n")
    base = ["sql", "eval", "--gold", str(gold), "--pred", str(pred), "--json"]
    _, out, _ = _run([*base, "--db-dir", str(tmp_path / "db")], capsys)
    assert [q["verdict"] for q in json.loads(out)["questions"]] == ["match", "match"]
    _, out, _ = _run(
        [*base, "--db-dir", str(tmp_path / "db"), "--suite", str(tmp_path / "suite")], capsys
    )
    questions = json.loads(out)["questions"]
    assert [q["verdict"] for q in questions] == ["mismatch", "match"]
    assert questions[0]["instance"] == "shop_1.sqlite"
    assert questions[1]["instances"] == 2


def test_timeout_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_db(tmp_path / "db" / "shop" / "shop.sqlite", [(1, "a")])
    (tmp_path / "gold.sql").write_text("SELECT count(*) FROM item\tshop\n")
    (tmp_path / "pred.txt").write_text(
        "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r\n"
    )
    _, out, _ = _run(
        [
            "sql", "eval",
            "--gold", str(tmp_path / "gold.sql"),
            "--pred", str(tmp_path / "pred.txt"),
            "--db-dir", str(tmp_path / "db"),
            "--timeout", "0.5",
            "--workers", "1",
            "--json",
        ],
        capsys,
    )  # fmt: skip
    question = json.loads(out)["questions"][0]
    assert question["verdict"] == "timeout"
    assert "timed out" in question["detail"]


@pytest.mark.parametrize(
    ("gold_text", "pred_text", "extra", "message"),
    [
        ("SELECT 1\n", "SELECT 1\n", [], "expected `SQL<TAB>db_id`"),
        ("SELECT 1\tshop\nSELECT 2\tshop\n", "SELECT 1\n", [], "1 predictions for 2 gold"),
        ("SELECT 1\tshop\n", "SELECT 1\n", ["--preset", "nope"], "unknown SQL preset 'nope'"),
        ("", "", [], "has no questions"),
        ("SELECT 1\tshop\n", "SELECT 1\n", [], "none of the gold file's 1 databases was found"),
    ],
)
def test_usage_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gold_text: str,
    pred_text: str,
    extra: list[str],
    message: str,
) -> None:
    (tmp_path / "gold.sql").write_text(gold_text)
    (tmp_path / "pred.txt").write_text(pred_text)
    argv = [
        "sql",
        "eval",
        "--gold",
        str(tmp_path / "gold.sql"),
        "--pred",
        str(tmp_path / "pred.txt"),
    ]
    code, _, err = _run([*argv, "--db-dir", str(tmp_path), *extra], capsys)
    assert code == 2
    assert message in err


def test_missing_database_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["sql", "eval", "--gold", "g.sql", "--pred", "p.txt"]
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert "pass --db-dir DIR or --suite DIR" in err
    code, _, err = _run([*argv, "--db-dir", str(tmp_path / "absent")], capsys)
    assert code == 2
    assert "not found" in err


def test_gold_cache_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "db" / "shop" / "shop.sqlite"
    _write_db(db, [(1, "a"), (2, "b")])
    (tmp_path / "gold.sql").write_text("SELECT name FROM item ORDER BY id\tshop\n")
    (tmp_path / "pred.txt").write_text("SELECT name FROM item ORDER BY id\n")
    argv = [
        "sql", "eval",
        "--gold", str(tmp_path / "gold.sql"),
        "--pred", str(tmp_path / "pred.txt"),
        "--db-dir", str(tmp_path / "db"),
        "--cache-dir", str(tmp_path / "cache"),
        "--workers", "1",
        "--json",
    ]  # fmt: skip
    _, out, _ = _run(argv, capsys)
    assert json.loads(out)["questions"][0]["verdict"] == "match"
    entries = list((tmp_path / "cache").rglob("*.pickle"))
    assert len(entries) == 1
    # a planted entry proves the second run reads the cache instead of executing the gold
    entries[0].write_bytes(pickle.dumps(QueryResult(("name",), [("planted",)])))
    _, out, _ = _run(argv, capsys)
    assert json.loads(out)["questions"][0]["verdict"] == "mismatch"
    # a changed database file gets a new key, so the stale entry is not used
    connection = sqlite3.connect(db)
    connection.execute("UPDATE item SET name = 'z' WHERE id = 1")
    connection.commit()
    connection.close()
    _, out, _ = _run(argv, capsys)
    assert json.loads(out)["questions"][0]["verdict"] == "match"
    assert len(list((tmp_path / "cache").rglob("*.pickle"))) == 2

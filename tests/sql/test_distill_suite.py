"""A distilled suite of real Spider dev databases: layout, manifest, coverage, C3SQL accuracy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evalgauge.errors import DatasetError, UsageError
from evalgauge.scorers.sql.distill import (
    DistillConfig,
    build_suite,
    read_gold,
    read_manifest,
    suite_databases,
)
from evalgauge.scorers.sql.distill.suite import sha256_file
from evalgauge.scorers.sql.distill.verdicts import suite_verdicts
from tests._env import require_file, shared_data_dir
from tests.cli._run import run_cli

DATABASES = ["concert_singer", "pets_1", "singer", "orchestra", "poker_player", "car_1"]
PREDICTIONS = "predictions/c3sql_gpt-3.5-turbo_dev_predicted_sql.txt"


@pytest.fixture(scope="module")
def spider() -> Path:
    root = shared_data_dir() / "spider-dev"
    require_file(root / "dev_gold.sql")
    return root


@pytest.fixture(scope="module")
def source_sums(spider: Path) -> dict[str, str]:
    return {db: sha256_file(spider / "database" / db / f"{db}.sqlite") for db in DATABASES}


@pytest.fixture(scope="module")
def suite(
    spider: Path, source_sums: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("suite")
    config = DistillConfig(seed=0, max_instances=6, patience=6, tables_json=spider / "tables.json")
    build_suite(spider / "dev_gold.sql", spider / "database", out, config, databases=DATABASES)
    return out


def test_suite_layout(suite: Path) -> None:
    for db_id in DATABASES:
        files = suite_databases(suite, db_id)
        assert files[0] == suite / db_id / f"{db_id}.sqlite"
        assert len(files) >= 2, db_id
        assert [p.name for p in files[1:]] == [f"{db_id}_{n}.sqlite" for n in range(1, len(files))]
    assert not list(suite.glob("*/.*candidate*"))


def test_suite_originals_untouched(suite: Path, spider: Path, source_sums: dict[str, str]) -> None:
    manifest = read_manifest(suite)
    for db_id in DATABASES:
        source = spider / "database" / db_id / f"{db_id}.sqlite"
        assert sha256_file(source) == source_sums[db_id]
        assert manifest["databases"][db_id]["source_sha256"] == source_sums[db_id]
        assert sha256_file(suite / db_id / f"{db_id}.sqlite") == source_sums[db_id]


def test_suite_manifest(suite: Path) -> None:
    manifest = read_manifest(suite)
    assert manifest["format_version"] == 1
    assert manifest["seed"] == 0
    assert manifest["budgets"]["max_instances"] == 6
    assert "evalgauge_version" in manifest
    assert sorted(manifest["databases"]) == sorted(DATABASES)
    for db_id, entry in manifest["databases"].items():
        assert entry["instances"] == [p.name for p in suite_databases(suite, db_id)[1:]]
        assert len(entry["instances"]) <= 6


def test_suite_kills_neighbors(suite: Path) -> None:
    manifest = read_manifest(suite)
    for db_id, entry in manifest["databases"].items():
        assert 0 < entry["killed"] <= entry["total"], db_id
        for query in entry["queries"]:
            assert len(query["survivors"]) == min(query["total"] - query["killed"], 20)
    assert manifest["coverage"]["killed"] > 0.8 * manifest["coverage"]["total"]


def test_instances_kill_beyond_original(suite: Path, spider: Path) -> None:
    """Random instances kill neighbours that the original database alone cannot tell apart."""
    manifest = read_manifest(suite)
    for db_id, entry in manifest["databases"].items():
        by_original = sum(q["killed_by_original"] for q in entry["queries"])
        assert entry["killed"] > by_original, db_id


def test_gold_matches_itself(suite: Path, spider: Path) -> None:
    gold = [(i, sql, db) for i, sql, db in read_gold(spider / "dev_gold.sql") if db in DATABASES]
    verdicts = suite_verdicts(suite, [(i, db, sql, sql) for i, sql, db in gold])
    assert all(v.suite for v in verdicts)


def test_c3sql_suite_accuracy(suite: Path, spider: Path) -> None:
    predictions = require_file(spider / PREDICTIONS).read_text(encoding="utf-8").splitlines()
    gold = read_gold(spider / "dev_gold.sql")
    items = [(i, db, sql, predictions[i]) for i, sql, db in gold if db in DATABASES]
    verdicts = suite_verdicts(suite, items)
    single = sum(v.single for v in verdicts)
    on_suite = sum(v.suite for v in verdicts)
    assert len(verdicts) == 289
    assert on_suite <= single
    assert on_suite < single, "the suite should reject some predictions the original accepts"
    assert all(v.single for v in verdicts if v.suite)


def test_gold_file_invalid_line(tmp_path: Path) -> None:
    gold = tmp_path / "gold.sql"
    gold.write_text("SELECT 1\tdb\nno tab here\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="line 2"):
        read_gold(gold)


def test_unknown_database(spider: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nope"):
        build_suite(
            spider / "dev_gold.sql", spider / "database", tmp_path, DistillConfig(),
            databases=["nope"],
        )  # fmt: skip


def test_all_databases_skip_missing_file(spider: Path, tmp_path: Path) -> None:
    # Every database of the gold file, where one of them has no file: the rest are built.
    gold = tmp_path / "gold.sql"
    lines = [line for line in (spider / "dev_gold.sql").read_text().splitlines()
             if line.endswith(("\tsinger", "\twta_1"))]  # fmt: skip
    gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = DistillConfig(seed=1, max_instances=2, patience=2)

    manifest = build_suite(gold, spider / "database", tmp_path / "out", config, workers=1)

    assert list(manifest["databases"]) == ["singer"]
    assert not (spider / "database" / "wta_1" / "wta_1.sqlite").exists()


def test_named_missing_database_rejected(spider: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"wta_1\.sqlite not found"):
        build_suite(
            spider / "dev_gold.sql", spider / "database", tmp_path, DistillConfig(),
            databases=["wta_1"],
        )  # fmt: skip


def test_suite_seeded(spider: Path, tmp_path: Path) -> None:
    config = DistillConfig(seed=4, max_instances=3, patience=3)
    first = build_suite(spider / "dev_gold.sql", spider / "database", tmp_path / "a", config,
                        databases=["singer"], workers=1)  # fmt: skip
    again = build_suite(spider / "dev_gold.sql", spider / "database", tmp_path / "b", config,
                        databases=["singer"], workers=1)  # fmt: skip
    assert first["databases"] == again["databases"]
    for name in first["databases"]["singer"]["instances"]:
        assert sha256_file(tmp_path / "a" / "singer" / name) == sha256_file(
            tmp_path / "b" / "singer" / name
        )


def test_suite_same_across_hash_seeds(spider: Path, tmp_path: Path) -> None:
    """Set order changes with PYTHONHASHSEED; the instances must not."""
    script = (
        "import sys; from pathlib import Path; "
        "from evalgauge.scorers.sql.distill import DistillConfig, build_suite; "
        "s = Path(sys.argv[1]); "
        "build_suite(s / 'dev_gold.sql', s / 'database', Path(sys.argv[2]), "
        "DistillConfig(seed=2, max_instances=3, patience=3), databases=['concert_singer'])"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = tmp_path / hash_seed
        subprocess.run([sys.executable, "-c", script, str(spider), str(out)], env=env, check=True)
    first = sorted((tmp_path / "1" / "concert_singer").glob("*.sqlite"))
    assert len(first) >= 2
    for path in first:
        assert sha256_file(path) == sha256_file(tmp_path / "2" / "concert_singer" / path.name)


def test_manifest_missing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"manifest\.json not found"):
        read_manifest(tmp_path)


def test_manifest_json_roundtrip(suite: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(suite, copy)
    assert read_manifest(copy) == json.loads((suite / "manifest.json").read_text())


def test_cli_build_json(spider: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(
        capsys, "sql", "suite", "build", "--gold", str(spider / "dev_gold.sql"),
        "--db-dir", str(spider / "database"), "--out", str(tmp_path / "suite"),
        "--db", "singer", "--max-instances", "2", "--max-bytes", "1MB", "--json",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    manifest = json.loads(result.stdout)
    assert manifest["budgets"]["max_bytes"] == 1_000_000
    assert len(manifest["databases"]["singer"]["instances"]) <= 2
    assert (tmp_path / "suite" / "manifest.json").is_file()


def test_cli_invalid_size(spider: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(
        capsys, "sql", "suite", "build", "--gold", str(spider / "dev_gold.sql"),
        "--db-dir", str(spider / "database"), "--out", str(tmp_path), "--max-bytes", "12XB",
    )  # fmt: skip
    assert result.code == 2
    assert "invalid size '12XB'" in result.stderr


def test_invalid_database_file(tmp_path: Path) -> None:
    (tmp_path / "db" / "broken").mkdir(parents=True)
    (tmp_path / "db" / "broken" / "broken.sqlite").write_text("not a database", encoding="utf-8")
    gold = tmp_path / "gold.sql"
    gold.write_text("SELECT 1\tbroken\n", encoding="utf-8")
    with pytest.raises(UsageError, match="could not be read"):
        build_suite(gold, tmp_path / "db", tmp_path / "out", DistillConfig(), workers=1)


def test_byte_budget_holds(spider: Path, tmp_path: Path) -> None:
    config = DistillConfig(max_bytes=30_000, patience=20)
    manifest = build_suite(spider / "dev_gold.sql", spider / "database", tmp_path, config,
                           databases=["pets_1"], workers=1)  # fmt: skip
    entry = manifest["databases"]["pets_1"]
    assert entry["instance_bytes"] <= 30_000
    assert entry["stop_reason"].startswith("byte budget")


def test_rebuild_drops_old_instances(spider: Path, tmp_path: Path) -> None:
    stale = tmp_path / "singer" / "singer_99.sqlite"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"")
    build_suite(spider / "dev_gold.sql", spider / "database", tmp_path,
                DistillConfig(max_instances=1), databases=["singer"], workers=1)  # fmt: skip
    assert not stale.exists()

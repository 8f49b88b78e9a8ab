"""`evalgauge run --tier` and `evalgauge gate` on replayed BFCL v1 outputs of gpt-4o-mini.

The dataset joins the recorded results of four BFCL categories with their possible answers:
each case passes when the recorded call names the expected function. Its latency and token
counts are the real ones, so the scorecard's cost and latency percentiles are checked
against figures computed here from the raw rows, with numpy and genai-prices.
"""

from __future__ import annotations

import copy
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import genai_prices
import numpy as np
import pytest
import yaml

from evalgauge.cli.main import main
from tests._env import require_file
from tests.cli._run import Result, run_cli

MODEL = "gpt-4o-mini-2024-07-18"
CATEGORIES = ("simple", "multiple_function", "parallel_function", "parallel_multiple_function")
# In the parallel categories a function called twice appears as `name_1`, `name_2`.
PARALLEL_SUFFIX = re.compile(r"_\d+$")

SMOKE = {"sample": {"size": 200, "seed": 1}, "cost_envelope_usd": 1.0, "concurrency": 8}
GATES: list[dict[str, Any]] = [
    {"rule": "right_function >= 0.9", "basis": "confidence_bound"},
    {"rule": "p95_latency_ms <= 3000", "severity": "soft"},
    {"rule": "cost_per_request_usd <= 0.002"},
    {"name": "no-regression", "rule": "right_function >= baseline - 0.02"},
]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    lines = require_file(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _expected_function(ground_truth: Any, category: str) -> str:
    first = ground_truth[0] if isinstance(ground_truth, list) else ground_truth
    name = str(next(iter(first)))
    if category.startswith("parallel"):
        name = PARALLEL_SUFFIX.sub("", name)
    return name


@pytest.fixture(scope="session")
def bfcl_rows(shared_data: Path) -> list[dict[str, Any]]:
    """The 1,000 cases of the four categories, in file order."""
    folder = shared_data / "bfcl-v1-model-outputs"
    rows = []
    for category in CATEGORIES:
        stem = f"gorilla_openfunctions_v1_test_{category}"
        results = _read_jsonl(folder / "result" / MODEL / f"{stem}_result.json")
        answers = {
            answer["id"]: answer["ground_truth"]
            for answer in _read_jsonl(folder / "possible_answer" / f"{stem}.json")
        }
        for result in results:
            rows.append(
                {
                    "id": result["id"],
                    "category": category,
                    "output": result["result"],
                    "expected": _expected_function(answers[result["id"]], category),
                    "input_tokens": result["input_token_count"],
                    "output_tokens": result["output_token_count"],
                    "latency": result["latency"],
                }
            )
    return rows


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _suite(dataset: Path | str) -> dict[str, Any]:
    return {
        "dataset": {
            "path": str(dataset),
            "id": "id",
            "output": "output",
            "expected": "expected",
            "input": ["id"],
        },
        "target": {
            "kind": "recorded",
            "model": MODEL,
            "latency_field": "latency",
            "latency_unit": "s",
            "input_tokens_field": "input_tokens",
            "output_tokens_field": "output_tokens",
        },
        "scorers": [{"kind": "contains", "name": "right_function"}],
        "slices": ["category"],
    }


def _write_contract(
    folder: Path,
    dataset: Path | str = "mini.jsonl",
    *,
    gates: list[dict[str, Any]] | None = None,
    tiers: dict[str, Any] | None = None,
    suites: tuple[str, ...] = ("mini",),
) -> Path:
    contract = {
        "suites": {name: _suite(dataset) for name in suites},
        "tiers": tiers if tiers is not None else {"smoke": SMOKE},
        "gates": gates if gates is not None else GATES,
    }
    path = folder / "evalgauge.yaml"
    path.write_text(yaml.safe_dump(contract, sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Project:
    """A folder with a dataset, a contract and a SQLite store of its own."""

    folder: Path
    dataset: Path
    contract: Path
    db: Path

    @property
    def database(self) -> str:
        return f"sqlite:///{self.db}"

    def options(self) -> list[str]:
        return ["--contract", str(self.contract), "--database", self.database]


def _new_project(folder: Path, rows: list[dict[str, Any]], **contract: Any) -> Project:
    folder.mkdir(parents=True, exist_ok=True)
    dataset = _write_jsonl(folder / "mini.jsonl", rows)
    path = _write_contract(folder, **contract)
    return Project(folder, dataset, path, folder / "store.db")


def _cli(capsys: pytest.CaptureFixture[str], project: Project, *args: str) -> Result:
    return run_cli(capsys, *args, *project.options())


def _gate_json(
    capsys: pytest.CaptureFixture[str], project: Project, *args: str
) -> tuple[Result, dict[str, Any]]:
    result = _cli(capsys, project, "gate", "--tier", "smoke", "--json", *args)
    return result, json.loads(result.stdout) if result.stdout.strip() else {}


def _outcome(report: dict[str, Any], rule: str) -> dict[str, Any]:
    matching = [outcome for outcome in report["outcomes"] if outcome["rule"] == rule]
    assert len(matching) == 1, report["outcomes"]
    return matching[0]


def _load_card(path: Path, suite: str = "mini") -> dict[str, Any]:
    card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["suites"][suite]
    return card


def _count_rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@dataclass(frozen=True)
class SmokeRun:
    """One `run --tier smoke` of the whole dataset, shared by the tests that only read it."""

    project: Project
    scorecard: Path
    card: dict[str, Any]
    rows: dict[str, dict[str, Any]]  # case id -> raw row

    @property
    def ids(self) -> list[str]:
        ids: list[str] = self.card["case_scores"]["ids"]
        return ids


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory, bfcl_rows: list[dict[str, Any]]) -> SmokeRun:
    project = _new_project(tmp_path_factory.mktemp("smoke"), bfcl_rows)
    scorecard = project.folder / "baseline.json"
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--tier", "smoke", *project.options(), "--save-scorecard", str(scorecard)])
    assert exit_info.value.code == 0
    rows = {row["id"]: row for row in bfcl_rows}
    return SmokeRun(project, scorecard, _load_card(scorecard), rows)


@pytest.fixture
def gate_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smoke: SmokeRun) -> Project:
    """A contract of its own over the shared smoke dataset, for gates on its scorecard."""
    monkeypatch.chdir(tmp_path)
    contract = _write_contract(tmp_path, smoke.project.dataset)
    return Project(tmp_path, smoke.project.dataset, contract, tmp_path / "store.db")


def _with_gates(project: Project, gates: list[dict[str, Any]]) -> Project:
    _write_contract(project.folder, project.dataset, gates=gates)
    return project


def _request_cost(row: dict[str, Any]) -> float:
    usage = genai_prices.Usage(input_tokens=row["input_tokens"], output_tokens=row["output_tokens"])
    return float(genai_prices.calc_price(usage, MODEL).total_price)


def test_replay_cost_matches_genai_prices(
    smoke: SmokeRun, capsys: pytest.CaptureFixture[str]
) -> None:
    costs = [_request_cost(smoke.rows[case_id]) for case_id in smoke.ids]
    expected_mean = float(np.mean(costs))

    result, report = _gate_json(capsys, smoke.project)

    cost = smoke.card["operations"]["cost"]
    assert len(smoke.ids) == 200
    assert cost["priced"] == 200
    assert cost["unpriced"] == 0
    assert cost["mean_usd"] == pytest.approx(expected_mean, rel=1e-9)
    assert cost["total_usd"] == pytest.approx(sum(costs), rel=1e-9)
    assert result.code == 0, result.stderr
    observed = _outcome(report, "cost_per_request_usd <= 0.002")["observed"]
    assert observed == pytest.approx(expected_mean, rel=1e-9)


def test_replay_p95_matches_numpy(smoke: SmokeRun, capsys: pytest.CaptureFixture[str]) -> None:
    latencies_ms = np.array([smoke.rows[case_id]["latency"] * 1000 for case_id in smoke.ids])
    expected = np.percentile(latencies_ms, [50, 95, 99])

    result, report = _gate_json(capsys, smoke.project)

    latency = smoke.card["operations"]["latency_ms"]
    assert latency["n"] == 200
    assert latency["p50"] == pytest.approx(expected[0], rel=1e-9)
    assert latency["p95"] == pytest.approx(expected[1], rel=1e-9)
    assert latency["p99"] == pytest.approx(expected[2], rel=1e-9)
    assert latency["p95_ci"][0] <= latency["p95"]
    assert latency["p95"] <= latency["p95_ci"][1]
    assert result.code == 0, result.stderr
    outcome = _outcome(report, "p95_latency_ms <= 3000")
    assert outcome["observed"] == pytest.approx(expected[1], rel=1e-9)
    assert outcome["status"] == "pass"


def test_replayed_cases_marked_cached(smoke: SmokeRun) -> None:
    tokens = smoke.card["operations"]["tokens"]
    sampled = [smoke.rows[case_id] for case_id in smoke.ids]

    assert smoke.card["cases"] == 200
    assert smoke.card["cached"] == 200
    assert smoke.card["operations"]["cached"] == 200
    assert smoke.card["target_errors"] == 0
    assert tokens["input"] == sum(row["input_tokens"] for row in sampled)
    assert tokens["output"] == sum(row["output_tokens"] for row in sampled)


def test_slices_by_category(smoke: SmokeRun) -> None:
    expected = Counter(smoke.rows[case_id]["category"] for case_id in smoke.ids)
    scores = dict(
        zip(smoke.ids, smoke.card["case_scores"]["scores"]["right_function"], strict=True)
    )

    slices = smoke.card["slices"]["category"]

    assert set(slices) == set(expected)
    for category, count in expected.items():
        group = slices[category]
        passed = [scores[i] for i in smoke.ids if smoke.rows[i]["category"] == category]
        assert group["cases"] == count, category
        assert group["operations"]["cached"] == count, category
        assert group["metrics"]["right_function"]["mean"] == pytest.approx(np.mean(passed))


def test_same_seed_same_sample(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bfcl_rows: list[dict[str, Any]],
    smoke: SmokeRun,
) -> None:
    monkeypatch.chdir(tmp_path)
    tiers = {"smoke": SMOKE, "reseeded": {**SMOKE, "sample": {"size": 200, "seed": 2}}}
    project = _new_project(tmp_path, bfcl_rows, tiers=tiers)
    samples = {}
    for name, tier in (("first", "smoke"), ("second", "smoke"), ("reseeded", "reseeded")):
        saved = tmp_path / f"{name}.json"
        result = _cli(capsys, project, "run", "--tier", tier, "--save-scorecard", str(saved))
        assert result.code == 0, result.stderr
        samples[name] = sorted(_load_card(saved)["case_scores"]["ids"])

    assert len(samples["first"]) == 200
    assert samples["second"] == samples["first"]
    assert samples["first"] == sorted(smoke.ids)
    assert samples["reseeded"] != samples["first"]
    assert _count_rows(project.db, "runs") == 3


def test_saved_baseline_passes_no_regression(
    smoke: SmokeRun, capsys: pytest.CaptureFixture[str]
) -> None:
    result, report = _gate_json(capsys, smoke.project, "--baseline", str(smoke.scorecard))

    outcome = _outcome(report, "no-regression")
    baseline_mean = smoke.card["metrics"][0]["mean"]
    assert result.code == 0, result.stderr
    assert outcome["status"] == "pass"
    assert outcome["threshold"] == pytest.approx(baseline_mean - 0.02)
    assert outcome["observed"] == pytest.approx(baseline_mean)
    assert report["regressions"] == {"mini": []}
    assert report["comparisons"]["mini"][0]["paired_cases"] == 200
    assert report["warnings"] == []


def _degraded(smoke: SmokeRun, count: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Copy the rows with `count` sampled, passing cases changed to an empty call list."""
    scores = smoke.card["case_scores"]["scores"]["right_function"]
    passing = sorted(i for i, value in zip(smoke.ids, scores, strict=True) if value == 1.0)
    degraded = passing[:count]
    rows = [copy.copy(row) for row in smoke.rows.values()]
    for row in rows:
        if row["id"] in degraded:
            row["output"] = "[]"
    return rows, degraded


@pytest.fixture
def candidate(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    smoke: SmokeRun,
) -> tuple[Project, Path, list[str]]:
    """A run of the smoke tier on a copy of the dataset in which 8 passing cases now fail."""
    monkeypatch.chdir(tmp_path)
    rows, degraded = _degraded(smoke, 8)
    project = _new_project(tmp_path, rows)
    scorecard = tmp_path / "candidate.json"
    result = _cli(capsys, project, "run", "--tier", "smoke", "--save-scorecard", str(scorecard))
    assert result.code == 0, result.stderr
    return project, scorecard, degraded


def test_degraded_candidate_fails_gate(
    smoke: SmokeRun,
    candidate: tuple[Project, Path, list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    project, scorecard, degraded = candidate
    junit = project.folder / "gate.xml"
    junit_cases = project.folder / "gate-cases.xml"

    # NOTE: the recorded outputs are part of the dataset version, so a new recording of the
    # same cases needs --allow-dataset-change; see test_new_recording_keeps_dataset_version.
    result, report = _gate_json(
        capsys,
        project,
        "--scorecard",
        str(scorecard),
        "--baseline",
        str(smoke.scorecard),
        "--allow-dataset-change",
        "--junit",
        str(junit),
    )
    with_cases = _cli(
        capsys,
        project,
        "gate",
        "--tier",
        "smoke",
        "--scorecard",
        str(scorecard),
        "--baseline",
        str(smoke.scorecard),
        "--allow-dataset-change",
        "--junit",
        str(junit_cases),
        "--junit-cases",
    )

    comparison = report["comparisons"]["mini"][0]
    assert result.code == 1
    assert _outcome(report, "no-regression")["status"] == "fail"
    assert sorted(report["regressions"]["mini"]) == degraded
    assert comparison["pass_to_fail"] == 8
    assert comparison["fail_to_pass"] == 0
    assert comparison["delta"] == pytest.approx(-8 / 200)

    root = ET.parse(junit).getroot()
    gate_suite = root.find("testsuite[@name='evalgauge.gate']")
    assert gate_suite is not None
    failed = [case.get("name") for case in gate_suite if case.find("failure") is not None]
    assert root.get("failures") == "1"
    assert gate_suite.get("failures") == "1"
    assert gate_suite.get("tests") == str(len(GATES))
    assert failed == ["no-regression [mini]"]

    failing_cases = _load_card(scorecard)["case_scores"]["scores"]["right_function"].count(0.0)
    case_root = ET.parse(junit_cases).getroot()
    case_suite = case_root.find("testsuite[@name='evalgauge.mini']")
    assert with_cases.code == 1
    assert case_suite is not None
    assert case_suite.get("tests") == "200"
    assert case_suite.get("failures") == str(failing_cases)
    assert case_root.get("failures") == str(1 + failing_cases)
    # Each test case takes the recorded latency of its model call.
    latencies = _load_card(scorecard)["case_scores"]["latency_ms"]
    assert all(latency > 0 for latency in latencies)
    assert float(case_suite.get("time") or 0) == pytest.approx(sum(latencies) / 1000, abs=0.01)


def test_new_recording_keeps_dataset_version(
    smoke: SmokeRun,
    candidate: tuple[Project, Path, list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    project, scorecard, _ = candidate

    result, _ = _gate_json(
        capsys, project, "--scorecard", str(scorecard), "--baseline", str(smoke.scorecard)
    )

    assert result.code == 1, result.stderr


def test_soft_rule_only_warns(
    smoke: SmokeRun,
    gate_project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gates = [
        {"rule": "right_function >= 0.9"},
        {"name": "latency", "rule": "p95_latency_ms <= 1000", "severity": "soft"},
    ]
    project = _with_gates(gate_project, gates)
    summary = project.folder / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    result, report = _gate_json(capsys, project, "--scorecard", str(smoke.scorecard))
    github = _cli(
        capsys, project, "gate", "--tier", "smoke", "--scorecard", str(smoke.scorecard), "--github"
    )

    latency = _outcome(report, "latency")
    assert result.code == 0, result.stderr
    assert latency["status"] == "warn"
    assert latency["severity"] == "soft"
    assert _outcome(report, "right_function >= 0.9")["status"] == "pass"
    assert github.code == 0
    assert github.stdout.startswith("::warning")
    assert "::error" not in github.stdout
    assert "**Gate passed** (1 soft rule warned)" in summary.read_text(encoding="utf-8")


def test_confidence_bound_passes_near_miss(
    smoke: SmokeRun, gate_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    metric = smoke.card["metrics"][0]
    floor = round((metric["mean"] + metric["ci_high"]) / 2, 4)
    latency = smoke.card["operations"]["latency_ms"]
    ceiling = round((latency["p95_ci"][0] + latency["p95"]) / 2, 1)
    gates = [
        {"name": "floor-bound", "rule": f"right_function >= {floor}", "basis": "confidence_bound"},
        {"name": "floor-point", "rule": f"right_function >= {floor}"},
        {
            "name": "ceiling-bound",
            "rule": f"p95_latency_ms <= {ceiling}",
            "basis": "confidence_bound",
        },
        {"name": "ceiling-point", "rule": f"p95_latency_ms <= {ceiling}"},
    ]
    project = _with_gates(gate_project, gates)

    result, report = _gate_json(capsys, project, "--scorecard", str(smoke.scorecard))

    floor_bound = _outcome(report, "floor-bound")
    ceiling_bound = _outcome(report, "ceiling-bound")
    assert metric["mean"] < floor
    assert floor < metric["ci_high"]
    assert latency["p95_ci"][0] < ceiling
    assert ceiling < latency["p95"]
    assert result.code == 1
    assert floor_bound["status"] == "pass"
    assert floor_bound["basis"] == "upper_bound"
    assert floor_bound["observed"] == pytest.approx(metric["ci_high"])
    assert _outcome(report, "floor-point")["status"] == "fail"
    assert ceiling_bound["status"] == "pass"
    assert ceiling_bound["basis"] == "lower_bound"
    assert ceiling_bound["observed"] == pytest.approx(latency["p95_ci"][0])
    assert _outcome(report, "ceiling-point")["status"] == "fail"


# The replay costs about $0.000085 per request, so this hard rule fails.
EXPENSIVE = [
    {"rule": "right_function >= 0.9"},
    {"name": "cheap", "rule": "cost_per_request_usd <= 0.00005"},
]


def _today() -> datetime:
    return datetime.now(UTC)


def _override(
    capsys: pytest.CaptureFixture[str], project: Project, reason: str, expires: str
) -> Result:
    return _cli(
        capsys,
        project,
        "gate",
        "--override",
        "cheap",
        "--reason",
        reason,
        "--approver",
        "alice",
        "--expires",
        expires,
    )


def test_override_passes_failing_rule(
    smoke: SmokeRun, gate_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _with_gates(gate_project, EXPENSIVE)
    overrides_file = project.folder / "evalgauge-overrides.yaml"
    expires = (_today() + timedelta(days=30)).date().isoformat()
    reason = "provider raised prices; budget review booked"

    before, before_report = _gate_json(capsys, project, "--scorecard", str(smoke.scorecard))
    recorded = _override(capsys, project, reason, expires)
    after, report = _gate_json(capsys, project, "--scorecard", str(smoke.scorecard))

    entries = yaml.safe_load(overrides_file.read_text(encoding="utf-8"))["overrides"]
    with sqlite3.connect(project.db) as conn:
        stored = conn.execute(
            "SELECT rule, reason, approver, expires FROM gate_overrides"
        ).fetchall()
    outcome = _outcome(report, "cheap")
    assert before.code == 1
    assert _outcome(before_report, "cheap")["status"] == "fail"
    assert recorded.code == 0, recorded.stderr
    assert len(entries) == 1
    assert entries[0]["rule"] == "cheap"
    assert entries[0]["reason"] == reason
    assert entries[0]["approver"] == "alice"
    assert entries[0]["expires"] == expires
    assert stored == [("cheap", reason, "alice", expires)]
    assert after.code == 0, after.stderr
    assert outcome["status"] == "overridden"
    assert outcome["override"]["reason"] == reason
    assert "overridden by alice" in outcome["message"]
    assert [override["rule"] for override in report["overrides"]] == ["cheap"]


def test_expired_override_not_applied(
    smoke: SmokeRun, gate_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _with_gates(gate_project, EXPENSIVE)
    expired = {
        "rule": "cheap",
        "reason": "price change under review",
        "approver": "alice",
        "expires": "2020-01-31",
    }
    overrides_file = project.folder / "evalgauge-overrides.yaml"
    overrides_file.write_text(yaml.safe_dump({"overrides": [expired]}), encoding="utf-8")

    result, report = _gate_json(capsys, project, "--scorecard", str(smoke.scorecard))

    assert result.code == 1
    assert _outcome(report, "cheap")["status"] == "fail"
    assert report["overrides"] == []
    assert any("expired on 2020-01-31" in warning for warning in report["warnings"])


INVALID_OVERRIDES = {
    "empty reason": ("", 30, "--reason is empty"),
    "blank reason": ("   ", 30, "--reason is empty"),
    "past expiry": ("provider incident", -1, "is in the past"),
}


@pytest.mark.parametrize("problem", list(INVALID_OVERRIDES))
def test_invalid_override_leaves_file(
    smoke: SmokeRun, gate_project: Project, capsys: pytest.CaptureFixture[str], problem: str
) -> None:
    reason, days, message = INVALID_OVERRIDES[problem]
    project = _with_gates(gate_project, EXPENSIVE)
    overrides_file = project.folder / "evalgauge-overrides.yaml"
    later = (_today() + timedelta(days=7)).date().isoformat()
    first = _override(capsys, project, "approved earlier", later)
    content = overrides_file.read_bytes()

    expires = (_today() + timedelta(days=days)).date().isoformat()
    result = _override(capsys, project, reason, expires)

    assert first.code == 0, first.stderr
    assert result.code == 2
    assert message in result.stderr
    assert overrides_file.read_bytes() == content
    assert _count_rows(project.db, "gate_overrides") == 1


@pytest.fixture
def other_version_baseline(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    smoke: SmokeRun,
) -> Path:
    """A smoke-tier scorecard of the same sampled cases from another dataset version."""
    monkeypatch.chdir(tmp_path)
    sampled = set(smoke.ids)
    rows = [copy.copy(row) for row in smoke.rows.values()]
    unsampled = next(row for row in rows if row["id"] not in sampled)
    unsampled["expected"] = "renamed_function"
    project = _new_project(tmp_path / "other", rows)
    scorecard = tmp_path / "other.json"
    result = _cli(capsys, project, "run", "--tier", "smoke", "--save-scorecard", str(scorecard))
    assert result.code == 0, result.stderr
    assert _load_card(scorecard)["case_scores"]["ids"] == smoke.ids
    return scorecard


def test_other_dataset_baseline_exits_2(
    smoke: SmokeRun, other_version_baseline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = str(other_version_baseline)

    rejected = _cli(capsys, smoke.project, "gate", "--tier", "smoke", "--baseline", baseline)
    allowed, report = _gate_json(
        capsys, smoke.project, "--baseline", baseline, "--allow-dataset-change"
    )

    assert rejected.code == 2
    assert "dataset version" in rejected.stderr
    assert "--allow-dataset-change" in rejected.stderr
    assert allowed.code == 0, allowed.stderr
    assert _outcome(report, "no-regression")["status"] == "pass"
    assert len(report["warnings"]) == 1
    assert "not like for like" in report["warnings"][0]


def test_envelope_below_projection_stores_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bfcl_rows: list[dict[str, Any]],
    smoke: SmokeRun,
) -> None:
    monkeypatch.chdir(tmp_path)
    projected = sum(_request_cost(smoke.rows[case_id]) for case_id in smoke.ids)
    tiers = {"tight": {**SMOKE, "cost_envelope_usd": 0.001}}
    project = _new_project(tmp_path, bfcl_rows, tiers=tiers)

    result = _cli(capsys, project, "run", "--tier", "tight")

    assert projected > 0.001
    assert result.code == 1
    assert "over the tier's envelope of $0.001" in result.stderr
    assert f"projected cost ${projected:.4f}" in result.stderr
    assert _count_rows(project.db, "runs") == 0
    assert _count_rows(project.db, "case_results") == 0


def test_tier_projection_sums_suites(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bfcl_rows: list[dict[str, Any]],
    smoke: SmokeRun,
) -> None:
    monkeypatch.chdir(tmp_path)
    per_suite = sum(_request_cost(smoke.rows[case_id]) for case_id in smoke.ids)
    envelope = round(per_suite * 1.5, 4)
    tiers = {"pair": {**SMOKE, "cost_envelope_usd": envelope}}
    project = _new_project(tmp_path, bfcl_rows, tiers=tiers, suites=("mini", "mini_copy"))

    result = _cli(capsys, project, "run", "--tier", "pair")

    assert per_suite < envelope
    assert envelope < 2 * per_suite
    assert result.code == 1
    assert f"tier 'pair': projected cost ${2 * per_suite:.4f}" in result.stderr
    assert _count_rows(project.db, "runs") == 0

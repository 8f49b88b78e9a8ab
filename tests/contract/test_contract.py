"""Loading and checking the contract file, and the message each invalid value gives."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalgauge.contract import BUILTIN_METRICS, load_contract
from evalgauge.errors import ConfigError
from tests.cli._run import run_cli

CASES = [
    {"id": "a", "output": "Paris", "expected": "paris"},
    {"id": "b", "output": "Rome", "expected": "rome"},
    {"id": "c", "output": "Oslo", "expected": "bergen"},
]

VALID = {
    "suites": {
        "capitals": {
            "dataset": {
                "path": "cases.jsonl",
                "id": "id",
                "output": "output",
                "expected": "expected",
            },
            "target": {"kind": "recorded", "model": "gpt-4o-mini"},
            "scorers": [{"kind": "exact_match", "name": "right_city", "normalize": True}],
        }
    },
    "tiers": {
        "smoke": {"sample": {"size": 2, "seed": 7}, "cost_envelope_usd": 0.5, "concurrency": 2},
        "nightly": {"time_budget_s": 600},
    },
    "gates": [
        {"rule": "right_city >= 0.9", "basis": "confidence_bound"},
        {"name": "latency", "rule": "p95_latency_ms <= 1500", "severity": "soft"},
        {"name": "no-regression", "rule": "right_city >= baseline - 0.02", "tiers": ["nightly"]},
    ],
    "prices": {"in-house-model": {"input_per_mtok": 0.1, "output_per_mtok": 0.4}},
}


def _write_cases(folder: Path) -> Path:
    path = folder / "cases.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in CASES), encoding="utf-8")
    return path


def _write_contract(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "evalgauge.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    _write_cases(tmp_path)
    return tmp_path


def test_valid_contract_loads(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_contract(project, VALID)

    contract = load_contract(path)
    result = run_cli(capsys, "contract", "check", str(path))

    assert list(contract.suites) == ["capitals"]
    assert contract.suites["capitals"].name == "capitals"
    assert list(contract.tiers) == ["smoke", "nightly"]
    smoke = contract.tier("smoke")
    assert smoke.sample is not None
    assert smoke.sample.size == 2
    assert smoke.sample.seed == 7
    assert smoke.cost_envelope_usd == 0.5
    assert smoke.concurrency == 2
    assert contract.tier("nightly").time_budget_s == 600
    assert [gate.rule_id for gate in contract.gates] == [
        "right_city >= 0.9",
        "latency",
        "no-regression",
    ]
    assert contract.gates[0].basis == "confidence_bound"
    assert contract.gates[1].severity == "soft"
    assert contract.gates[2].parsed.uses_baseline
    assert [gate.rule_id for gate in contract.rules_for("smoke", "capitals")] == [
        "right_city >= 0.9",
        "latency",
    ]
    assert contract.prices["in-house-model"].output_per_mtok == 0.4
    assert result.code == 0
    assert "3 rules: valid" in result.stdout


def _parent(data: dict[str, Any], keys: list[str]) -> Any:
    """Return the mapping reached by following `keys`, where a digit key indexes a list."""
    node: Any = data
    for key in keys:
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Build an edit that sets the value at a dotted key path of the contract mapping."""

    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        _parent(data, parents)[last] = value

    return edit


def _rename(path: str, new_key: str) -> Callable[[dict[str, Any]], None]:
    """Build an edit that renames the last key of a dotted path, keeping its value."""

    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = _parent(data, parents)
        node[new_key] = node.pop(last)

    return edit


# Each invalid contract: the edit to VALID, then the fragments its message must contain. The
# first fragment is the key path, the others the allowed values or forms.
BAD_CONTRACTS = {
    "unknown metric": (
        _set("gates.0.rule", "accuracy >= 0.9"),
        ["gates.0", "unknown metric 'accuracy'", "allowed: right_city", *BUILTIN_METRICS],
    ),
    "rule names undefined suite": (
        _set("gates.0.suites", ["billing"]),
        ["gates.0", "suite 'billing'", "defined suites: capitals"],
    ),
    "rule names undefined tier": (
        _set("gates.0.tiers", ["weekly"]),
        ["gates.0", "tier 'weekly'", "defined tiers: smoke, nightly"],
    ),
    "tier names undefined suite": (
        _set("tiers.smoke.suites", ["billing"]),
        ["tiers.smoke", "suite 'billing'", "defined suites: capitals"],
    ),
    "tier slices undefined suite": (
        _set("tiers.smoke.slices", {"billing": {"tags": {"region": "eu"}}}),
        ["tiers.smoke", "suite 'billing'", "defined suites: capitals"],
    ),
    "zero envelope": (
        _set("tiers.smoke.cost_envelope_usd", 0),
        ["tiers.smoke.cost_envelope_usd", "greater than 0"],
    ),
    "negative envelope": (
        _set("tiers.smoke.cost_envelope_usd", -1),
        ["tiers.smoke.cost_envelope_usd", "greater than 0"],
    ),
    "unparseable rule": (
        _set("gates.0.rule", "right_city at least 0.9"),
        ["gates.0.rule", "METRIC OP NUMBER", "METRIC OP baseline [+-*] NUMBER", ">=, <=, >, <"],
    ),
    "unknown severity": (
        _set("gates.1.severity", "blocking"),
        ["gates.1.severity", "'hard' or 'soft'"],
    ),
    "unknown basis": (
        _set("gates.0.basis", "upper"),
        ["gates.0.basis", "'point' or 'confidence_bound'"],
    ),
    "misspelled tier key": (
        _rename("tiers.smoke.cost_envelope_usd", "cost_envelop_usd"),
        ["tiers.smoke.cost_envelop_usd", "unknown key"],
    ),
    "misspelled rule key": (
        _rename("gates.1.severity", "severty"),
        ["gates.1.severty", "unknown key"],
    ),
}


def _bad_contract(folder: Path, problem: str) -> tuple[Path, list[str]]:
    edit, fragments = BAD_CONTRACTS[problem]
    data = copy.deepcopy(VALID)
    edit(data)
    return _write_contract(folder, data), fragments


@pytest.mark.parametrize("problem", list(BAD_CONTRACTS))
def test_bad_contract_raises_config_error(project: Path, problem: str) -> None:
    path, fragments = _bad_contract(project, problem)

    with pytest.raises(ConfigError) as error:
        load_contract(path)

    message = str(error.value)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("problem", list(BAD_CONTRACTS))
def test_bad_contract_check_exits_2(
    project: Path, capsys: pytest.CaptureFixture[str], problem: str
) -> None:
    path, fragments = _bad_contract(project, problem)

    result = run_cli(capsys, "contract", "check", str(path))

    assert result.code == 2
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_misspelled_key_lists_allowed_keys(project: Path) -> None:
    path, _ = _bad_contract(project, "misspelled tier key")

    with pytest.raises(ConfigError) as error:
        load_contract(path)

    assert "cost_envelope_usd" in str(error.value)


def test_one_suite_file_loads(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = copy.deepcopy(VALID["suites"]["capitals"])
    path = _write_contract(project, {"name": "capitals", **suite})
    (project / "unnamed").mkdir()
    unnamed = _write_contract(project / "unnamed", suite)

    contract = load_contract(path)
    result = run_cli(capsys, "contract", "check", str(path))

    assert list(contract.suites) == ["capitals"]
    assert contract.suites["capitals"].dataset.path == project / "cases.jsonl"
    assert contract.tiers == {}
    assert contract.gates == []
    assert list(load_contract(unnamed).suites) == ["eval"]
    assert result.code == 0
    assert "1 suites, tiers none, 0 rules: valid" in result.stdout


def test_relative_paths_use_contract_folder(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = project / "service" / "evals"
    (folder / "data").mkdir(parents=True)
    _write_cases(folder / "data")
    data = copy.deepcopy(VALID)
    data["suites"]["capitals"]["dataset"]["path"] = "data/cases.jsonl"
    data["suites"]["capitals"]["engine"] = {"cache_path": "cache/responses.sqlite"}
    data["tiers"]["smoke"]["slices"] = {"capitals": {"dataset": "data/cases.jsonl"}}
    data["baseline"] = {"file": "baselines/main.json"}
    data["overrides_file"] = "gate/overrides.yaml"
    data["gates"] = [{"rule": "right_city >= 0.5"}]
    _write_contract(folder, data)
    relative = "service/evals/evalgauge.yaml"

    contract = load_contract(Path(relative))
    database = f"sqlite:///{project / 'store.db'}"
    result = run_cli(
        capsys, "run", "--tier", "smoke", "--contract", relative, "--database", database, "--json"
    )

    base = Path("service/evals")
    suite = contract.suites["capitals"]
    assert suite.dataset.path == base / "data" / "cases.jsonl"
    assert suite.engine.cache_path == base / "cache" / "responses.sqlite"
    assert contract.tier("smoke").slices["capitals"].dataset == base / "data" / "cases.jsonl"
    assert contract.baseline is not None
    assert contract.baseline.file == base / "baselines" / "main.json"
    assert contract.overrides_file == base / "gate" / "overrides.yaml"
    assert result.code == 0, result.stderr
    card = json.loads(result.stdout)["suites"]["capitals"]
    assert Path(card["run"]["dataset_path"]).resolve() == folder / "data" / "cases.jsonl"
    assert card["cases"] == 2


def test_schema_describes_contract(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "contract", "schema")

    schema = json.loads(result.stdout)
    tier = schema["$defs"]["TierConfig"]
    rule = schema["$defs"]["RuleConfig"]
    assert result.code == 0
    assert schema["type"] == "object"
    assert "suites" in schema["properties"]
    assert "tiers" in schema["properties"]
    assert "gates" in schema["properties"]
    assert schema["required"] == ["suites"]
    assert schema["additionalProperties"] is False
    assert tier["properties"]["cost_envelope_usd"]["anyOf"][0]["exclusiveMinimum"] == 0
    assert rule["properties"]["severity"]["enum"] == ["hard", "soft"]


def test_check_finds_missing_dataset(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = copy.deepcopy(VALID)
    data["suites"]["capitals"]["dataset"]["path"] = "nosuch.jsonl"
    path = _write_contract(project, data)

    result = run_cli(capsys, "contract", "check", str(path))

    assert result.code == 2
    assert "suites.capitals.dataset.path: dataset file" in result.stderr
    assert "nosuch.jsonl" in result.stderr


def test_check_finds_unknown_slice(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = copy.deepcopy(VALID)
    data["suites"]["capitals"]["slices"] = ["contry"]
    path = _write_contract(project, data)

    result = run_cli(capsys, "contract", "check", str(path))

    assert result.code == 2
    assert "suites.capitals.slices" in result.stderr
    assert "'contry'" in result.stderr

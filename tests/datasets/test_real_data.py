"""Loading the BEGIN attribution dev set and the recipe-bot dietary traces as they are."""

from __future__ import annotations

import pytest

from evalgauge.datasets import FieldMapping, iter_cases, scan_dataset
from tests._env import require_file, shared_data_dir

DATA = shared_data_dir()
BEGIN = DATA / "begin-attribution-wow-dev" / "begin_dev_wow.tsv"
RECIPES = DATA / "recipe-bot-dietary-traces" / "labeled_traces.jsonl"

BEGIN_MAPPING = FieldMapping(
    inputs=("knowledge", "message"),
    output="response",
    label="begin_label",
    pass_values=("Fully attributable",),
)
RECIPE_MAPPING = FieldMapping(
    inputs=("query", "dietary_restriction"),
    output="response",
    label="label",
    id_field="trace_id",
)


@pytest.fixture(autouse=True)
def _require_data() -> None:
    require_file(BEGIN)
    require_file(RECIPES)


def test_begin_counts() -> None:
    info = scan_dataset(BEGIN, BEGIN_MAPPING)
    assert info.format == "tsv"
    assert info.n_cases == 430
    assert info.n_labeled == 430
    assert info.n_pass == 180
    assert info.n_fail == 250


def test_begin_cases() -> None:
    cases = list(iter_cases(BEGIN, BEGIN_MAPPING))
    assert len(cases) == 430
    assert list(cases[0].inputs) == ["knowledge", "message"]
    assert cases[0].output is not None
    assert set(cases[0].metadata) == {"model_name", "data_source"}
    assert cases[0].metadata["model_name"] == "t5"
    assert len({case.case_id for case in cases}) == 430


def test_begin_quotes_kept() -> None:
    texts = [value for case in iter_cases(BEGIN, BEGIN_MAPPING) for value in case.inputs.values()]
    assert any('"' in text for text in texts)


def test_begin_version_stable() -> None:
    assert scan_dataset(BEGIN, BEGIN_MAPPING).version == scan_dataset(BEGIN, BEGIN_MAPPING).version


def test_recipe_counts() -> None:
    info = scan_dataset(RECIPES, RECIPE_MAPPING)
    assert info.format == "jsonl"
    assert info.n_cases == 101
    assert info.n_pass == 75
    assert info.n_fail == 26


def test_recipe_cases() -> None:
    cases = list(iter_cases(RECIPES, RECIPE_MAPPING))
    assert cases[0].case_id == "48_3"
    assert list(cases[0].inputs) == ["query", "dietary_restriction"]
    assert cases[0].label is False
    assert "reasoning" in cases[0].metadata
    assert "trace_id" not in cases[0].metadata

"""Field-level comparison: comparators, nested paths, keyed lists, missing and extra fields."""

from __future__ import annotations

from typing import Any

import pytest

from evalgauge.errors import ConfigError
from evalgauge.scorers.structured import FieldPlan, FieldTally, parse_field_config


def _plan(config: dict[str, Any] | None = None) -> FieldPlan:
    return FieldPlan(parse_field_config(config))


def _statuses(plan: FieldPlan, gold: Any, output: Any) -> dict[str, str]:
    record = plan.compare(gold, output)
    return {finding["path"]: finding["status"] for finding in record.findings}


def test_exact_match_record() -> None:
    gold = {"a": 1, "b": {"c": "x"}, "d": [1, 2]}
    record = _plan().compare(gold, {"a": 1, "b": {"c": "x"}, "d": [1, 2]})
    assert record.total == 4
    assert record.correct == 4
    assert record.exact(allow_extra=False)


def test_exact_types_strict() -> None:
    record = _plan().compare({"a": 1, "b": True}, {"a": True, "b": 1})
    assert record.correct == 0
    assert record.findings[0]["reason"] == "expected a number, got a boolean"


def test_int_float_equal() -> None:
    assert _plan().compare({"a": 1}, {"a": 1.0}).correct == 1


def test_text_normalized() -> None:
    plan = _plan({"fields": {"name": "text"}})
    assert plan.compare({"name": "Café  Lumière"}, {"name": " café lumière "}).correct == 1
    assert plan.compare({"name": "ﬁle"}, {"name": "FILE"}).correct == 1
    assert plan.compare({"name": "Acme"}, {"name": "Acne"}).correct == 0


@pytest.mark.parametrize(
    ("spec", "output", "correct"),
    [
        ({"comparator": "number", "abs_tol": 0.01}, 10.004, 1),
        ({"comparator": "number", "abs_tol": 0.01}, 10.02, 0),
        ({"comparator": "number", "rel_tol": 0.01}, 10.09, 1),
        ({"comparator": "number"}, "10.00", 1),
        ({"comparator": "number"}, "$10", 1),
        ({"comparator": "number", "parse_strings": False}, "10", 0),
        ({"comparator": "number"}, True, 0),
        ({"comparator": "number"}, "ten", 0),
    ],
)
def test_number_tolerance(spec: dict[str, Any], output: Any, correct: int) -> None:
    plan = _plan({"fields": {"total": spec}})
    assert plan.compare({"total": 10}, {"total": output}).correct == correct


@pytest.mark.parametrize(
    ("output", "correct"),
    [
        ("2026-03-04", 1),
        ("03/04/2026", 1),
        ("March 4, 2026", 1),
        ("2026-03-04T23:00:00Z", 1),
        ("04/03/2026", 0),
        ("yesterday", 0),
        (20260304, 0),
    ],
)
def test_date_formats(output: Any, correct: int) -> None:
    plan = _plan({"fields": {"day": "date"}})
    assert plan.compare({"day": "2026-03-04"}, {"day": output}).correct == correct


def test_date_dayfirst() -> None:
    plan = _plan({"fields": {"day": {"comparator": "date", "dayfirst": True}}})
    assert plan.compare({"day": "2026-03-04"}, {"day": "04/03/2026"}).correct == 1


@pytest.mark.parametrize(
    ("output", "correct"),
    [
        ("2026-03-04T10:00:00+01:00", 1),
        ("2026-03-04T09:00:00Z", 1),
        ("2026-03-04 09:00:00", 1),
        ("2026-03-04T10:00:00", 0),
        ("4 March 2026 9:00 UTC", 1),
    ],
)
def test_datetime_timezones(output: str, correct: int) -> None:
    plan = _plan({"fields": {"at": "datetime"}})
    assert plan.compare({"at": "2026-03-04T09:00:00+00:00"}, {"at": output}).correct == correct


def test_datetime_assumed_zone() -> None:
    plan = _plan({"fields": {"at": {"comparator": "datetime", "assume_tz": "Europe/Berlin"}}})
    assert plan.compare({"at": "2026-03-04T09:00:00Z"}, {"at": "2026-03-04 10:00"}).correct == 1


def test_unknown_zone_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown time zone"):
        _plan({"fields": {"at": {"comparator": "datetime", "assume_tz": "Mars/Olympus"}}})


def test_set_order_free() -> None:
    plan = _plan({"fields": {"tags": {"comparator": "set", "of": "text"}}})
    assert plan.compare({"tags": ["a", "B"]}, {"tags": ["b", "A"]}).correct == 1
    record = plan.compare({"tags": ["a", "b"]}, {"tags": ["a", "a"]})
    assert record.correct == 0
    assert record.findings[0]["reason"] == "1 element(s) missing, 1 extra"
    assert record.total == 1


def test_positional_list_paths() -> None:
    gold = {"items": [{"sku": "A"}, {"sku": "B"}]}
    statuses = _statuses(_plan(), gold, {"items": [{"sku": "B"}, {"sku": "A"}, {"sku": "C"}]})
    assert statuses == {"items[0].sku": "wrong", "items[1].sku": "wrong", "items[2]": "extra"}


def test_keyed_list_reordered() -> None:
    plan = _plan({"fields": {"items": {"comparator": "keyed", "key": "sku"}}})
    gold = {"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]}
    record = plan.compare(gold, {"items": [{"sku": "B", "qty": 2}, {"sku": "A", "qty": 1}]})
    assert record.correct == 4
    assert record.exact(allow_extra=False)


def test_keyed_list_missing_extra() -> None:
    plan = _plan({"fields": {"items": {"comparator": "keyed", "key": "sku"}}})
    gold = {"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]}
    output = {"items": [{"sku": "A", "qty": 3}, {"sku": "Z", "qty": 2}]}
    tally = FieldTally()
    statuses = {f["path"]: f["status"] for f in plan.compare(gold, output, tally).findings}
    assert statuses == {
        "items[sku=A].qty": "wrong",
        "items[sku=B]": "missing",
        "items[sku=Z]": "extra",
    }
    assert tally.counts["items[].qty"] == [2, 0, 1, 1]
    assert tally.counts["items[].sku"] == [2, 1, 1, 0]
    assert tally.extra == {"items[].sku": 1, "items[].qty": 1}


def test_pattern_comparator_in_keyed() -> None:
    plan = _plan(
        {
            "fields": {
                "items": {"comparator": "keyed", "key": "sku"},
                "items[].price": {"comparator": "number", "abs_tol": 0.01},
            }
        }
    )
    gold = {"items": [{"sku": "A", "price": 1.0}]}
    assert plan.compare(gold, {"items": [{"sku": "A", "price": "1.004"}]}).correct == 2


def test_index_path_overrides_pattern() -> None:
    plan = _plan({"fields": {"rows[0].v": "text", "rows[].v": "exact"}})
    record = plan.compare({"rows": [{"v": "A"}, {"v": "A"}]}, {"rows": [{"v": "a"}, {"v": "a"}]})
    assert record.correct == 1
    assert record.findings[0]["path"] == "rows[1].v"


def test_star_path_alias() -> None:
    plan = _plan({"fields": {"rows[*].v": "text"}})
    assert plan.compare({"rows": [{"v": "A"}]}, {"rows": [{"v": "a"}]}).correct == 1


def test_missing_and_extra_fields() -> None:
    gold = {"a": 1, "b": {"c": 1, "d": 2}}
    record = _plan().compare(gold, {"a": 1, "z": {"y": 1, "x": 2}})
    assert record.total == 3
    assert record.correct == 1
    assert record.extra == 2
    statuses = {f["path"]: f["status"] for f in record.findings}
    assert statuses == {"b": "missing", "z": "extra"}


def test_wrong_container_type() -> None:
    record = _plan().compare({"b": {"c": 1, "d": 2}}, {"b": "c=1, d=2"})
    assert record.total == 2
    assert record.correct == 0
    assert record.findings[0]["reason"] == "expected an object, got a string"


def test_absent_equals_null() -> None:
    assert _plan().compare({"a": 1, "b": None}, {"a": 1}).exact(allow_extra=False)
    assert _plan().compare({"a": 1}, {"a": 1, "b": None}).exact(allow_extra=False)
    strict = _plan({"absent_equals_null": False})
    assert not strict.compare({"a": 1, "b": None}, {"a": 1}).exact(allow_extra=False)


def test_allow_extra_exact() -> None:
    config = parse_field_config({"allow_extra": True})
    record = FieldPlan(config).compare({"a": 1}, {"a": 1, "b": 2})
    assert record.exact(config.allow_extra)
    assert record.extra == 1


def test_compare_absent_all_missing() -> None:
    record = _plan().compare_absent({"a": 1, "b": [1, 2]})
    assert record.total == 3
    assert record.correct == 0
    assert record.accuracy == 0.0


def test_unused_config_path() -> None:
    plan = _plan({"fields": {"total": "number", "totl": "number"}})
    tally = FieldTally()
    plan.compare({"total": 1}, {"total": 1}, tally)
    assert plan.unused_paths(tally) == ["totl"]


def test_unknown_comparator_lists_names() -> None:
    with pytest.raises(ConfigError) as info:
        parse_field_config({"fields": {"total": "fuzzy"}})
    message = str(info.value)
    assert "unknown comparator 'fuzzy'" in message
    assert "exact, text, number, date, datetime, set, keyed" in message


@pytest.mark.parametrize(
    "config",
    [
        {"fields": {"a..b": "text"}},
        {"fields": {"a": {"comparator": "number", "tolerance": 1}}},
        {"fields": {"a": {"comparator": "keyed"}}},
        {"default": "keyed_by"},
        {"colour": "red"},
    ],
)
def test_invalid_field_config(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        parse_field_config(config)


def test_root_array_gold() -> None:
    record = _plan().compare([{"a": 1}], [{"a": 1}, {"a": 2}])
    assert record.correct == 1
    assert record.findings[0]["path"] == "[1]"

"""Where `bfcl` and `default` mode differ, one case per documented difference, and the rules
both share."""

from __future__ import annotations

from typing import Any

import pytest

from evalgauge.scorers.toolcalls._ast_check import check_case
from evalgauge.scorers.toolcalls._decode import Decoded, Mode, decode_python_calls
from evalgauge.scorers.toolcalls._expected import compile_case
from evalgauge.scorers.toolcalls._model import CheckOutcome, ErrorCategory, ToolCall


def _doc(name: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "description": "",
        "parameters": {"type": "dict", "properties": properties, "required": required},
    }


PLAY = _doc("spotify.play", {"artist": {"type": "string"}, "duration": {"type": "integer"}}, [])
AREA = _doc("area", {"radius": {"type": "float"}, "units": {"type": "string", "default": "cm"}}, [])
SERIES = _doc(
    "series",
    {
        "points": {"type": "array", "items": {"type": "float"}},
        "shape": {"type": "tuple", "items": {"type": "integer"}},
    },
    [],
)


def _check(
    docs: list[dict[str, Any]],
    truth: list[dict[str, Any]],
    output: str | list[ToolCall],
    mode: Mode,
    category: str = "simple",
    underscore_to_dot: bool = False,
) -> CheckOutcome:
    case = compile_case("c", category, docs, truth, underscore_to_dot=underscore_to_dot)
    decoded = (
        decode_python_calls(output, mode=mode)
        if isinstance(output, str)
        else Decoded(tuple(output))
    )
    return check_case(case, decoded, mode=mode).outcome


def _both(
    docs: list[dict[str, Any]],
    truth: list[dict[str, Any]],
    output: str | list[ToolCall],
    category: str = "simple",
) -> tuple[CheckOutcome, CheckOutcome]:
    bfcl = _check(docs, truth, output, "bfcl", category)
    return bfcl, _check(docs, truth, output, "default", category)


def test_greedy_pairing_false_negative() -> None:
    truth = [
        {"spotify.play": {"artist": ["Adele"], "duration": [20, 30]}},
        {"spotify.play": {"artist": ["Adele"], "duration": [20]}},
    ]
    output = (
        "[spotify.play(artist='Adele', duration=20), spotify.play(artist='Adele', duration=30)]"
    )
    bfcl, default = _both([PLAY], truth, output, category="parallel")
    assert not bfcl.passed
    assert bfcl.reference_error == "parallel_function_checker_no_order:cannot_find_match"
    assert default.passed


def test_string_normalisation_collision() -> None:
    truth = [{"spotify.play": {"artist": ["3.5 Band"], "duration": [20]}}]
    bfcl, default = _both([PLAY], truth, "spotify.play(artist='35band', duration=20)")
    assert bfcl.passed
    assert not default.passed
    assert default.category is ErrorCategory.WRONG_VALUE


def test_case_and_quotes_exact() -> None:
    truth = [{"spotify.play": {"artist": ["Taylor Swift"], "duration": [20]}}]
    bfcl, default = _both([PLAY], truth, "spotify.play(artist='taylor swift', duration=20)")
    assert bfcl.passed
    assert not default.passed
    unicode = _check([PLAY], truth, "spotify.play(artist=' Taylor Swift ', duration=20)", "default")
    assert unicode.passed


def test_integral_float_for_integer() -> None:
    truth = [{"spotify.play": {"artist": ["Adele"], "duration": [20]}}]
    bfcl, default = _both([PLAY], truth, "spotify.play(artist='Adele', duration=20.0)")
    assert bfcl.reference_error == "type_error:simple"
    assert default.passed
    fraction = _check([PLAY], truth, "spotify.play(artist='Adele', duration=20.5)", "default")
    assert fraction.category is ErrorCategory.WRONG_TYPE


def test_bool_never_integer() -> None:
    truth = [{"spotify.play": {"artist": ["Adele"], "duration": [1]}}]
    bfcl, default = _both([PLAY], truth, "spotify.play(artist='Adele', duration=True)")
    assert bfcl.category is ErrorCategory.WRONG_TYPE
    assert default.category is ErrorCategory.WRONG_TYPE


def test_int_for_float_both() -> None:
    truth = [{"area": {"radius": [5.0]}}]
    bfcl, default = _both([AREA], truth, "area(radius=5)")
    assert bfcl.passed
    assert default.passed


def test_nested_ints_for_floats() -> None:
    truth = [{"series": {"points": [[1.0, 2.0]], "shape": ["", (1, 2)]}}]
    bfcl, default = _both([SERIES], truth, "series(points=[1, 2])")
    assert bfcl.reference_error == "type_error:nested"
    assert default.passed


def test_tuple_list_conflated_both() -> None:
    truth = [{"series": {"points": ["", [1.0]], "shape": [[1, 2]]}}]
    bfcl, default = _both([SERIES], truth, "series(shape=[1, 2])")
    assert bfcl.passed
    assert default.passed


def test_optional_param_at_default() -> None:
    truth = [{"area": {"radius": [5.0]}}]
    bfcl, default = _both([AREA], truth, "area(radius=5.0, units='cm')")
    assert bfcl.reference_error == "simple_function_checker:unexpected_param"
    assert default.passed
    other = _check([AREA], truth, "area(radius=5.0, units='m')", "default")
    assert other.category is ErrorCategory.UNEXPECTED_PARAM


def test_variable_rule_both() -> None:
    truth = [{"spotify.play": {"artist": ["Adele"], "duration": ["song_length"]}}]
    bfcl, default = _both([PLAY], truth, "spotify.play(artist='Adele', duration=song_length)")
    assert bfcl.passed
    assert default.passed


def test_underscore_to_dot() -> None:
    truth = [{"spotify.play": {"artist": ["Adele"], "duration": [20]}}]
    call = [ToolCall("spotify_play", {"artist": "Adele", "duration": 20})]
    assert _check([PLAY], truth, call, "bfcl", underscore_to_dot=True).passed
    assert not _check([PLAY], truth, call, "bfcl").passed


@pytest.mark.parametrize(
    ("output", "bfcl_passes", "default_category"),
    [
        ("I can't find a tool for that.", True, None),
        ("[]", True, None),
        ("[get_weather(city='Paris'", True, ErrorCategory.DECODE_FAILURE),
        ("[get_weather(city='Paris')]", False, ErrorCategory.IRRELEVANT_CALL),
    ],
)
def test_irrelevance(
    output: str, bfcl_passes: bool, default_category: ErrorCategory | None
) -> None:
    bfcl, default = _both([PLAY], [], output, category="irrelevance")
    assert bfcl.passed is bfcl_passes
    assert default.passed is (default_category is None)
    assert default.category is default_category


def test_relevance_needs_call() -> None:
    bfcl, default = _both([PLAY], [], "spotify.play(artist='x')", category="live_relevance")
    assert bfcl.passed
    assert default.passed
    prose = _check([PLAY], [], "No call needed.", "default", category="live_relevance")
    assert prose.category is ErrorCategory.NO_CALL


def test_counts_per_category() -> None:
    truth = [{"spotify.play": {"artist": ["Adele"], "duration": [20]}}]
    output = (
        "[spotify.play(artist='Adele', duration=20), spotify.play(artist='Adele', duration=20)]"
    )
    bfcl, default = _both([PLAY], truth, output)
    assert bfcl.reference_error == "simple_function_checker:wrong_count"
    assert bfcl.category is ErrorCategory.EXTRA_CALL
    assert default.category is ErrorCategory.EXTRA_CALL
    empty = _check([PLAY], truth, "[]", "default")
    assert empty.category is ErrorCategory.NO_CALL


def test_missing_doc_not_crash() -> None:
    truth = [{"nowhere": {"a": [1]}}]
    bfcl, default = _both([PLAY], truth, "spotify.play(artist='x')", category="multiple")
    assert bfcl.reference_error == "checker_crash"
    assert default.category is ErrorCategory.WRONG_TOOL


def test_decode_failure_category() -> None:
    truth = [{"spotify.play": {"artist": ["Adele"]}}]
    bfcl, default = _both([PLAY], truth, "spotify.play(artist=")
    assert bfcl.reference_error == "ast_decoder:decoder_failed"
    assert default.category is ErrorCategory.DECODE_FAILURE


def test_unknown_doc_type() -> None:
    doc = _doc("f", {"x": {"type": "number"}}, ["x"])
    bfcl, default = _both([doc], [{"f": {"x": [1.5]}}], "f(x=1.5)")
    assert bfcl.reference_error == "checker_crash"
    assert default.passed
    wrong = _check([doc], [{"f": {"x": [1.5]}}], "f(x='1.5')", "default")
    assert wrong.category is ErrorCategory.WRONG_TYPE


def test_any_accepts_number() -> None:
    doc = _doc("f", {"x": {"type": "any"}}, ["x"])
    bfcl, default = _both([doc], [{"f": {"x": [5]}}], "f(x=5)")
    assert bfcl.passed
    assert default.passed


def test_empty_string_marker_only() -> None:
    truth = [{"area": {"radius": [5.0], "units": ["", "cm"]}}]
    bfcl, default = _both([AREA], truth, "area(radius=5.0, units='')")
    assert bfcl.passed
    assert default.category is ErrorCategory.WRONG_VALUE


@pytest.mark.parametrize("mode", ["bfcl", "default"])
def test_failed_parameters_all(mode: Mode) -> None:
    doc = _doc("f", {"a": {"type": "integer"}, "b": {"type": "string"}}, ["a", "b"])
    case = compile_case("c", "simple", [doc], [{"f": {"a": [1], "b": ["x"], "c": [2]}}])
    decoded = decode_python_calls("f(a=2, b='y')", mode=mode)
    verdict = check_case(case, decoded, mode=mode)
    assert verdict.outcome.parameter == "a"
    assert verdict.calls[0].extra["failed_parameters"] == ["a", "b", "c"]
    assert verdict.to_dict()["calls"][0]["failed_parameters"] == ["a", "b", "c"]


def test_java_hashmap_body() -> None:
    from evalgauge.scorers.toolcalls._decode_source import decode_source_calls

    doc = _doc("f", {"m": {"type": "HashMap"}}, ["m"])
    case_args = ("c", "simple_java", [doc], [{"f": {"m": [{"k": ["v"]}]}}])
    text = '[f(m=new HashMap<String, String>() {{ put("k", "v"); }})]'
    verdicts = {}
    for mode in ("bfcl", "default"):
        case = compile_case(*case_args, language="java")
        decoded = decode_source_calls(text, "java", mode=mode)
        verdicts[mode] = check_case(case, decoded, mode=mode).outcome
    assert verdicts["bfcl"].reference_error == "value_error:dict_key"
    assert verdicts["default"].passed

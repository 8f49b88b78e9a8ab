"""Strict parsing, each repair kind, and replies that contain no JSON."""

from __future__ import annotations

import pytest

from evalgauge.scorers.structured import parse_json


def test_strict_object() -> None:
    result = parse_json('{"a": 1, "b": [true, null]}')
    assert result.strict
    assert result.value == {"a": 1, "b": [True, None]}
    assert result.repairs == ()


@pytest.mark.parametrize(
    ("text", "kinds", "value"),
    [
        pytest.param('```json\n{"a": 1}\n```', ("code_fence",), {"a": 1}, id="fence"),
        pytest.param('```{"a": 1}```', ("code_fence",), {"a": 1}, id="fence-inline"),
        pytest.param('Here it is: {"a": 1}. Thanks!', ("prose",), {"a": 1}, id="prose"),
        pytest.param('{"a": [1, 2,],}', ("trailing_comma",), {"a": [1, 2]}, id="commas"),
        pytest.param("{'a': 'it\\'s'}", ("single_quotes",), {"a": "it's"}, id="quotes"),
        pytest.param('{"a": [1, 2', ("truncated",), {"a": [1, 2]}, id="open-array"),
        pytest.param('{"a": "cut', ("truncated",), {"a": "cut"}, id="open-string"),
        pytest.param('{"a": 1, "b":', ("truncated",), {"a": 1}, id="dangling-key"),
        pytest.param('{"a": 1, "bc', ("truncated",), {"a": 1}, id="cut-key"),
        pytest.param('{"a": 1, ', ("truncated",), {"a": 1}, id="dangling-comma"),
        pytest.param(
            'Sure:\n```json\n{"a": 1,}\n```\nBye',
            ("code_fence", "prose", "trailing_comma"),
            {"a": 1},
            id="combined",
        ),
        pytest.param("{a: 1}", ("other",), {"a": 1}, id="unquoted-key"),
        pytest.param('{"a": 1 "b": 2}', ("other",), {"a": 1, "b": 2}, id="missing-comma"),
    ],
)
def test_repair_kinds(text: str, kinds: tuple[str, ...], value: object) -> None:
    result = parse_json(text)
    assert result.ok, result.reason
    assert result.repairs == kinds
    assert result.value == value
    assert not result.strict


def test_prose_braces_skipped() -> None:
    result = parse_json('Use {curly} braces, then: {"a": 1}')
    assert result.value == {"a": 1}
    assert result.repairs == ("prose",)


def test_truncated_not_inner_object() -> None:
    text = '{"id": "x", "vendor": {"name": "Acme"}, "total": 3, "pa'
    result = parse_json(text)
    assert result.value == {"id": "x", "vendor": {"name": "Acme"}, "total": 3}
    assert result.repairs == ("truncated",)


def test_escaped_quote_in_string() -> None:
    result = parse_json('{"a": "say \\"hi\\"", "b": [1,]}')
    assert result.value == {"a": 'say "hi"', "b": [1]}
    assert result.repairs == ("trailing_comma",)


@pytest.mark.parametrize(
    ("text", "failure"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("  \n", "empty", id="blank"),
        pytest.param("I cannot help with that.", "no_json", id="refusal"),
        pytest.param("True", "no_json", id="python-literal"),
        pytest.param("[[[[", "unrepairable", id="brackets-only"),
        pytest.param("{ }}}} garbage {{", "unrepairable", id="garbage-braces"),
    ],
)
def test_failures_have_reasons(text: str, failure: str) -> None:
    result = parse_json(text)
    assert not result.ok
    assert result.failure == failure
    assert result.reason
    assert result.value is None


def test_no_repair_mode() -> None:
    result = parse_json('```json\n{"a": 1}\n```', repair=False)
    assert not result.ok
    assert result.failure == "unrepairable"
    assert "invalid JSON" in (result.reason or "")


def test_deep_nesting_fails_cleanly() -> None:
    result = parse_json("[" * 100_000)
    assert not result.ok
    assert result.failure == "too_deep"


def test_deep_closed_nesting() -> None:
    result = parse_json("[" * 5000 + "]" * 5000)
    assert not result.ok
    assert result.failure == "too_deep"


def test_depth_within_limit() -> None:
    result = parse_json("[" * 1000 + "]" * 1000)
    assert result.strict


def test_huge_string_value() -> None:
    big = "x" * 5_000_000
    result = parse_json('{"a": "' + big + '"}')
    assert result.strict
    assert len(result.value["a"]) == 5_000_000


def test_huge_invalid_not_repaired() -> None:
    result = parse_json('{"a": "' + "x" * 2_000_000)
    assert result.failure == "too_large"


def test_lone_surrogate_strict() -> None:
    result = parse_json('{"s": "\\ud800"}')
    assert result.strict
    assert result.value["s"] == "\ud800"


def test_bare_scalar_is_json() -> None:
    result = parse_json("42")
    assert result.strict
    assert result.value == 42


def test_inline_fence_with_language() -> None:
    result = parse_json('```json {"a": 1}```')
    assert result.value == {"a": 1}
    assert result.repairs == ("code_fence",)


def test_unclosed_fence_truncated() -> None:
    result = parse_json('```json\n{"a": 1, "b": "cut')
    assert result.value == {"a": 1, "b": "cut"}
    assert result.repairs == ("code_fence", "truncated")


def test_prose_quotes_example_first() -> None:
    # Documented limit: the first value that parses is taken as the result.
    result = parse_json('Format: {"name": "..."}. Answer: {"name": "Acme"}')
    assert result.value == {"name": "..."}

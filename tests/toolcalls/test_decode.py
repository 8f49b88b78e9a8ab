"""Decoding model output into tool calls: Python-call strings, JSON and native shapes."""

from __future__ import annotations

import json

import pytest

from evalgauge.scorers.toolcalls._decode import (
    DECODER_FAILED,
    MAX_OUTPUT_CHARS,
    WRONG_OUTPUT_FORMAT,
    decode_anthropic_content,
    decode_bfcl_fc,
    decode_openai_tool_calls,
    decode_output,
    decode_python_calls,
)
from evalgauge.scorers.toolcalls._decode_source import decode_source_calls


def _arguments(text: str, mode: str = "bfcl") -> dict[str, object]:
    decoded = decode_python_calls(text, mode=mode)  # type: ignore[arg-type]
    assert decoded.calls is not None, decoded.reason
    assert len(decoded.calls) == 1
    return decoded.calls[0].arguments


def test_python_keywords_and_names() -> None:
    decoded = decode_python_calls("[math.gcd(a=12, b='x'), f(c=True)]")
    assert decoded.calls is not None
    assert [c.name for c in decoded.calls] == ["math.gcd", "f"]
    assert decoded.calls[0].arguments == {"a": 12, "b": "x"}


def test_python_positional_dropped() -> None:
    assert _arguments("f(1, 2, b=3)") == {"b": 3}


def test_python_bfcl_conversions() -> None:
    arguments = _arguments("[f(v=my_var, n=-2, s=g(1), d=g(k=1), t=(1, 2), e=..., x=a[0])]")
    assert arguments["v"] == "my_var"
    assert arguments["n"] == -2
    assert arguments["s"] == "g(1)"
    assert arguments["d"] == {"g": {"k": 1}}
    assert arguments["t"] == (1, 2)
    assert arguments["e"] == "..."
    assert arguments["x"] == "a[0]"


def test_unary_plus_bfcl_negates() -> None:
    assert _arguments("f(a=+5)", "bfcl") == {"a": -5}
    assert _arguments("f(a=+5)", "default") == {"a": 5}
    assert _arguments("f(a=not 1)", "bfcl") == {"a": -1}
    assert decode_python_calls("f(a=not 1)", mode="default").calls is None


def test_arithmetic_folded() -> None:
    assert _arguments("f(x=2**2 - 4*1*3, y=7/2, z='ab' * 2)") == {"x": -8, "y": 3.5, "z": "abab"}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("f(x=math.pi * 2)", "not constant arithmetic"),
        ("f(x=lambda: 1)", "lambda"),
        ("f(x=10**100000)", "exceeds 4096 bits"),
        ("f(x='a' * 10**7)", "exceeds 100,000 characters"),
        ("f(x=1/0)", "division by zero"),
        ("f(x={**d})", "dict unpacking"),
        ("f(x={[1]: 2})", "unhashable"),
        ("f(x=[i for i in y])", "unsupported expression"),
        ("f(x=1", "not valid Python"),
        ("[f(x=1), 3]", "expected a call"),
    ],
)
def test_python_failures(text: str, reason: str) -> None:
    decoded = decode_python_calls(text)
    assert decoded.calls is None
    assert reason in decoded.reason
    assert decoded.reference_error == DECODER_FAILED


def test_deep_nesting_fails() -> None:
    text = "f(x=" + "[" * 150 + "]" * 150 + ")"
    decoded = decode_python_calls(text)
    assert decoded.calls is None
    assert "nest" in decoded.reason


def test_dict_nesting_limit() -> None:
    text = "f(x=" + "{'a': " * 80 + "1" + "}" * 80 + ")"
    decoded = decode_python_calls(text)
    assert decoded.calls is None
    assert "deeper than 64" in decoded.reason


def test_huge_output_fails() -> None:
    decoded = decode_python_calls("f(x='" + "a" * MAX_OUTPUT_CHARS + "')")
    assert decoded.calls is None
    assert "exceeds" in decoded.reason


def test_prose_not_attempted() -> None:
    decoded = decode_python_calls("I cannot help with that request.")
    assert decoded.calls is None
    assert decoded.attempted_call is False
    assert decode_python_calls("f(x=1").attempted_call is True


def test_fence_only_default() -> None:
    text = "```python\n[f(a=1)]\n```"
    assert decode_python_calls(text, mode="bfcl").calls is None
    assert decode_python_calls(text, mode="default").calls is not None


def test_bfcl_fc_result() -> None:
    decoded = decode_bfcl_fc([{"spotify_play": json.dumps({"artist": "X", "duration": 20})}])
    assert decoded.calls is not None
    assert decoded.calls[0].name == "spotify_play"
    assert decoded.calls[0].arguments == {"artist": "X", "duration": 20}


def test_bfcl_fc_failures() -> None:
    assert decode_bfcl_fc("Sure, here it is").attempted_call is False
    assert decode_bfcl_fc([{"f": "{bad"}]).reference_error == DECODER_FAILED
    assert decode_bfcl_fc([{"f": "[1]"}]).reference_error == WRONG_OUTPUT_FORMAT
    assert decode_bfcl_fc([{"f": {"a": 1}}]).calls is None


def test_openai_tool_calls() -> None:
    message = {
        "role": "assistant",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
        ],
    }
    decoded = decode_openai_tool_calls(message)
    assert decoded.calls is not None
    assert decoded.calls[0].call_id == "c1"
    assert decoded.calls[0].arguments == {"a": 1}


def test_anthropic_tool_use() -> None:
    content = [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "t1", "name": "get", "input": {"q": "x"}},
    ]
    decoded = decode_anthropic_content(content)
    assert decoded.calls is not None
    assert [(c.name, c.arguments, c.call_id) for c in decoded.calls] == [("get", {"q": "x"}, "t1")]


def test_output_detects_shape() -> None:
    openai_text = json.dumps([{"function": {"name": "f", "arguments": "{}"}}])
    decoded = decode_output(openai_text)
    assert decoded.calls is not None
    assert decoded.calls[0].name == "f"
    pairs = decode_output([{"name": "g", "arguments": {"b": 2}}])
    assert pairs.calls is not None
    assert pairs.calls[0].arguments == {"b": 2}
    assert decode_output("Paris is the capital.").attempted_call is False
    assert decode_output("[]").calls == ()


def test_java_values_stay_source() -> None:
    decoded = decode_source_calls('[Job.run(n=5L, label="a, b", ids=new int[]{1, 2})]', "java")
    assert decoded.calls is not None
    assert decoded.calls[0].name == "Job.run"
    assert decoded.calls[0].arguments == {"n": "5L", "label": "a, b", "ids": "new int[]{1,2}"}


def test_java_hashmap_body_dropped() -> None:
    text = '[f(m=new HashMap<String, Integer>() {{ put("k", 1); }})]'
    bfcl = decode_source_calls(text, "java", mode="bfcl")
    default = decode_source_calls(text, "java", mode="default")
    assert bfcl.calls is not None
    assert bfcl.calls[0].arguments == {"m": "new HashMap<String,Integer>()"}
    assert default.calls is not None
    assert default.calls[0].arguments["m"].endswith('put("k", 1); }}')


def test_source_several_calls() -> None:
    text = "[run(n=1), other(m='x')]"
    assert (
        decode_source_calls(text, "javascript", mode="bfcl").reference_error == WRONG_OUTPUT_FORMAT
    )
    assert decode_source_calls(text, "java", mode="bfcl").reference_error == DECODER_FAILED
    default = decode_source_calls(text, "javascript", mode="default")
    assert default.calls is not None
    assert [c.arguments for c in default.calls] == [{"n": "1"}, {"m": "x"}]


def test_source_positional_and_errors() -> None:
    decoded = decode_source_calls("[run(value, 5, n=1)]", "javascript")
    assert decoded.calls is not None
    assert decoded.calls[0].arguments == {"<positional>": "value", "n": "1"}
    assert decode_source_calls("[run(n=1]", "javascript").reason == (
        "a call's parenthesis is never closed"
    )
    assert decode_source_calls("[run(n=1, n=2)]", "java").reason == "argument 'n' is given twice"
    assert decode_source_calls("[run(s=`t`)]", "javascript").calls[0].arguments == {"s": "`t`"}  # type: ignore[index]

"""The fast repair scanners against the full token scan, and the chunking of output files."""

from __future__ import annotations

import json
import random
from itertools import accumulate

import pytest

from evalgauge.scorers.structured import _scan
from evalgauge.scorers.structured._files import _line_ends, _spans

INVOICE = {
    "invoice_id": "INV-2026-0001",
    "vendor": {"name": "Kettle & Crane Ltd", "vat_id": "GB123456789"},
    "line_items": [
        {"sku": "AT-1001", "description": 'Torque wrench 1/2 "pro"', "quantity": 2},
        {"sku": "CL-5", "description": "Espresso beans, 1 kg", "quantity": 1},
    ],
    "total": 118.79,
    "paid_at": None,
    "tags": ["office", "priority"],
}

TRICKY = [
    '{"a": [1, 2,  \u00a0]}',
    '{"a": 1,\n}',
    "[1,2,]]]",
    '{"a": "b"} trailing {',
    "[ ,]",
    "{'a': 'b',}",
    "{'a\\'': 1,}",
    '{"a": "cut \\"',
    '{"a": "x\\',
    "{'a': 'b\\",
    "{'a': 'cut   ",
    "{'a': 'b', 'c': [1, 2",
    "{'",
    '{"',
    "['",
    '{"a": "\\u00',
    "[1, {\"x\": 'y'}, ,]",
    '{"k": 1, "na\\"me": ',
    '{"k": 1, "na\\\\"',
    "[" * 1100,
    "[" * 1100 + "]" * 1100,
]


def _as_tuple(found: _scan._Scan) -> tuple[str, int, int, list[str]]:
    return found.text, found.end, found.depth, list(found.kinds)


def _mutations(rng: random.Random, text: str, count: int) -> list[str]:
    pieces = [*"\"'\\{}[],: \n", "\u00a0", ",]", ",}", '\\"', "\\'"]
    found = []
    for _ in range(count):
        chars = list(text)
        for _ in range(rng.randint(1, 3)):
            index = rng.randrange(len(chars) + 1)
            roll = rng.random()
            if roll < 0.5:
                chars.insert(index, rng.choice(pieces))
            elif roll < 0.8 and chars:
                del chars[min(index, len(chars) - 1)]
            else:
                chars = chars[:index]
        found.append("".join(chars))
    return found


@pytest.mark.parametrize("text", TRICKY)
def test_fast_scan_tricky_input(text: str) -> None:
    assert _as_tuple(_scan.scan_value(text, 0)) == _as_tuple(_scan._scan_tokens(text, 0))


def test_fast_scan_random_mutations() -> None:
    rng = random.Random(20261204)
    compact = json.dumps(INVOICE)
    documents = [compact, json.dumps(INVOICE, indent=2), compact.replace('"', "'")]
    checked = fast = 0
    for document in documents:
        for text in _mutations(rng, document, 600):
            start = text.find("{")
            if start < 0:
                continue
            expected = _as_tuple(_scan._scan_tokens(text, start))
            assert _as_tuple(_scan.scan_value(text, start)) == expected, text
            checked += 1
            fast += _scan._scan_repair_tokens(text, start) is not None
    assert checked > 1500
    assert fast > 0.9 * checked


def test_fast_scan_leaves_lone_backslash() -> None:
    # A string that ends in a lone backslash is left to the full scan.
    assert _scan._scan_repair_tokens('{"a": "x\\', 0) is None


def test_single_quoted_keeps_whitespace() -> None:
    found = _scan.scan_value("{'a': 'cut  ", 0)
    assert found.text == '{"a": "cut  "}'
    assert found.kinds == ["single_quotes", "truncated"]


@pytest.mark.parametrize(
    ("text", "stack", "closed"),
    [
        ('{"a": 1, "b": ', ["{"], '{"a": 1}'),
        ('{"a": 1, "b\\"c": ', ["{"], '{"a": 1}'),
        ('{"a": 1, "b\\\\"', ["{"], '{"a": 1}'),
        ('["a", "b"', ["["], '["a", "b"]'),
        ('{"a": ["x", "y"', ["{", "["], '{"a": ["x", "y"]}'),
        ('{"a": "b\\"', ["{"], '{"a": "b\\"}'),
        ('{ "k":  ', ["{"], "{}"),
    ],
)
def test_close_drops_dangling_key(text: str, stack: list[str], closed: str) -> None:
    assert _scan._close(text, stack) == closed


@pytest.mark.parametrize(
    "data",
    [b"", b"a", b"a\n", b"a\nb", b"a\n\nb\n", b"a\rb\r\nc\n", b"\r\r\n", b'{"id": 1}\n' * 5],
)
def test_line_ends_as_splitlines(data: bytes) -> None:
    expected = list(accumulate(map(len, data.splitlines(keepends=True))))
    assert _line_ends(data) == expected


def test_spans_shrink_near_end() -> None:
    data = b"".join(b"%d\n" % number for number in range(10_000))
    ends = _line_ends(data)
    spans = list(_spans(ends, 1000, workers=2))
    assert b"".join(data[start:end] for _, start, end in spans) == data
    assert [first for first, _, _ in spans][:2] == [1, 1001]
    sizes = [data[start:end].count(b"\n") for _, start, end in spans]
    assert max(sizes) == 1000
    assert sizes[-2] == 250
    assert sum(sizes) == 10_000

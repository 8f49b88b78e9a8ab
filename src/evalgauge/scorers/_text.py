"""Deterministic text scorers."""

from __future__ import annotations

import unicodedata

from evalgauge.cases import Case, as_text
from evalgauge.errors import ScorerError
from evalgauge.scorers._base import Score


def _normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class ExactMatch:
    """Pass when the output equals `Case.expected`, optionally after normalizing text.

    An expected value that is not a string is compared as compact JSON (`true`, `[1, 2]`),
    the form a recorded output of that value has. Normalizing applies Unicode NFKC, case
    folding and whitespace collapsing.
    """

    def __init__(self, *, name: str = "exact_match", normalize: bool = False) -> None:
        self.name = name
        self.normalize = normalize

    def identity(self) -> dict[str, str]:
        return {"scorer": "exact_match", "normalize": str(self.normalize).lower()}

    async def score(self, case: Case, output: str) -> Score:
        return self.score_now(case, output)

    def score_now(self, case: Case, output: str) -> Score:
        expected = case.expected
        if expected is None:
            raise ScorerError(f"case {case.case_id!r} has no expected output to compare with")
        expected = as_text(expected)
        if self.normalize:
            passed = _normalize(output) == _normalize(expected)
        else:
            passed = output == expected
        return Score(self.name, 1.0 if passed else 0.0, passed)


class Contains:
    """Pass when `Case.expected` occurs in the output; case-insensitive by default.

    An expected value that is not a string is looked for as compact JSON, as in ExactMatch.
    """

    def __init__(self, *, name: str = "contains", case_sensitive: bool = False) -> None:
        self.name = name
        self.case_sensitive = case_sensitive

    def identity(self) -> dict[str, str]:
        return {"scorer": "contains", "case_sensitive": str(self.case_sensitive).lower()}

    async def score(self, case: Case, output: str) -> Score:
        return self.score_now(case, output)

    def score_now(self, case: Case, output: str) -> Score:
        if case.expected is None:
            raise ScorerError(f"case {case.case_id!r} has no expected text to look for")
        needle = as_text(case.expected)
        if not needle:
            raise ScorerError(
                f"case {case.case_id!r} has an empty expected text, which every output "
                "contains; fill in the expected value or leave this case out"
            )
        haystack = output
        if not self.case_sensitive:
            needle, haystack = needle.casefold(), haystack.casefold()
        passed = needle in haystack
        return Score(self.name, 1.0 if passed else 0.0, passed)

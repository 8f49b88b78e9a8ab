"""Cost projection of a run before it starts, from token estimates per case."""

from __future__ import annotations

import math
from dataclasses import dataclass

from evalgauge.cost._buckets import Buckets
from evalgauge.cost._prices import PriceTable

CHARACTERS_PER_TOKEN = 4


@dataclass(frozen=True, slots=True)
class CostProjection:
    """The projected USD cost of a run of `n_cases` cases, or the reason it has none."""

    n_cases: int
    input_tokens_per_case: float
    output_tokens_per_case: float
    per_case_usd: float | None
    total_usd: float | None
    priced: bool
    basis: str  # where the token estimates come from, e.g. "mean usage of run X"
    unpriced_reason: str | None = None


def project_cost(
    table: PriceTable,
    model: str,
    *,
    n_cases: int,
    input_tokens_per_case: float,
    output_tokens_per_case: float,
    provider: str | None = None,
    basis: str,
) -> CostProjection:
    """Project the cost of `n_cases` cases that each use the given mean token counts.

    The projection counts no cache reads or writes and prices all output at the output rate,
    so prompt caching makes a real run cheaper, and a model that charges more for reasoning
    tokens makes it dearer. A tiered price is chosen by the input tokens of one case.

    Raises:
        ValueError: `n_cases` is not a whole number >= 0, a token estimate is negative or not
            finite, or `basis` is empty.
    """
    if isinstance(n_cases, bool) or not isinstance(n_cases, int) or n_cases < 0:
        raise ValueError(f"invalid n_cases {n_cases!r}: expected a whole number >= 0")
    for name, value in (
        ("input_tokens_per_case", input_tokens_per_case),
        ("output_tokens_per_case", output_tokens_per_case),
    ):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"invalid {name} {value!r}: expected a finite number >= 0")
    if not basis.strip():
        raise ValueError("invalid basis: it is empty; say where the token estimates come from")

    buckets = Buckets(
        uncached_input=float(input_tokens_per_case),
        cache_read=0.0,
        cache_write=0.0,
        text_output=float(output_tokens_per_case),
        reasoning=0.0,
    )
    cost = table._cost_buckets(model, buckets, provider)
    per_case_usd = cost.total_usd if cost.priced else None
    return CostProjection(
        n_cases=n_cases,
        input_tokens_per_case=input_tokens_per_case,
        output_tokens_per_case=output_tokens_per_case,
        per_case_usd=per_case_usd,
        total_usd=None if per_case_usd is None else per_case_usd * n_cases,
        priced=per_case_usd is not None,
        basis=basis,
        unpriced_reason=cost.unpriced_reason,
    )


def estimate_prompt_tokens(text: str) -> int:
    """Estimate the token count of `text` as one token per 4 characters, and at least 1.

    This is a heuristic, because no tokenizer may be downloaded at run time. Real counts
    differ by model and language: code and non-English text usually need more tokens.
    """
    return max(1, len(text) // CHARACTERS_PER_TOKEN)

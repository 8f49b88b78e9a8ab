"""The public surface of `evalgauge.scorers.structured`."""

from __future__ import annotations

import evalgauge.scorers.structured as structured


def test_all_sorted_and_defined() -> None:
    names = structured.__all__
    assert names == sorted(names, key=lambda name: (not name.isupper(), name))
    for name in names:
        assert hasattr(structured, name), name

"""The case: one input with its expectations, the unit every run iterates over."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


# Not frozen: a frozen dataclass costs 1 µs more per construction, and every run builds each
# case twice (validation, then the run). Nothing in evalgauge mutates a case.
@dataclass(slots=True)
class Case:
    """One dataset row after field mapping; treat it as read-only.

    `inputs` contains the fields the target and the judge see, in mapping order. `output` is the
    recorded output when the dataset carries one. `label` is the human verdict: True for pass,
    False for fail, None when the row is unlabeled.
    """

    case_id: str
    inputs: dict[str, Any]
    output: str | None = None
    label: bool | None = None
    expected: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def field(self, name: str) -> Any:
        """Return a row field by name: from the metadata, else from the inputs, else None.

        A field the mapping leaves out of the inputs is in the metadata; with no input
        fields named, every unmapped field is an input.
        """
        if name in self.metadata:
            return self.metadata[name]
        return self.inputs.get(name)

    def input_text(self) -> str:
        """Render the inputs as one block of text, one `name: value` paragraph per field."""
        if len(self.inputs) == 1:
            return str(next(iter(self.inputs.values())))
        return "\n\n".join(f"{name}: {value}" for name, value in self.inputs.items())


def as_text(value: Any) -> str:
    """Return a string as it is and any other value as compact JSON.

    Datasets store a recorded output that is not a string in this form, and the text scorers
    compare an expected value that is not a string in it too.
    """
    if isinstance(value, str):
        return value
    return orjson.dumps(value, default=str).decode()

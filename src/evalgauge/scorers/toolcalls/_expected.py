"""Expected calls compiled once per question: each ground-truth call joined with its function
doc, with the acceptable values of each parameter and their normalised forms cached.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from evalgauge.scorers.toolcalls._bfcl_types import Language, standardize
from evalgauge.scorers.toolcalls._model import CheckOutcome, ToolSpec


def first_answer_type(acceptable: list[Any]) -> type | None:
    """Return the type of the first acceptable value other than the optional marker `""`."""
    for answer in acceptable:
        if answer != "":
            return type(answer)
    return None


def nfc(text: str) -> str:
    """Normalise a string for `default` mode: Unicode NFC, surrounding whitespace removed."""
    return unicodedata.normalize("NFC", text).strip()


@dataclass(slots=True)
class ExpectedParam:
    """One ground-truth parameter with its doc entry and cached normalised answers."""

    name: str
    acceptable: list[Any]
    doc: dict[str, Any] | None
    """The parameter's entry in the function doc's `properties`; None when the doc lacks it."""
    answer_type: type | None = None
    optional: bool = False
    doc_type: str = ""
    """The doc's `type` string; "None" when the doc gives none (the reference raises then)."""
    python_types: tuple[type, type | None] | None = None
    """The expected and element Python types, cached by the `bfcl` rules on first use."""
    _standardized: frozenset[str] | None = None
    _standardized_lists: list[list[Any]] | None = None
    _nfc: frozenset[str] | None = None

    def __post_init__(self) -> None:
        self.answer_type = first_answer_type(self.acceptable)
        self.optional = "" in self.acceptable
        self.doc_type = str((self.doc or {}).get("type"))

    @property
    def item_type(self) -> str:
        """The doc's `items.type`; raises KeyError when the doc has none, as BFCL does."""
        return str((self.doc or {})["items"]["type"])

    def standardized_strings(self) -> frozenset[str]:
        if self._standardized is None:
            self._standardized = frozenset(
                standardize(answer) for answer in self.acceptable if type(answer) is str
            )
        return self._standardized

    def standardized_lists(self) -> list[list[Any]]:
        # Mirrors BFCL: each acceptable answer is indexed like a list, so `""` becomes [].
        if self._standardized_lists is None:
            lists = []
            for answer in self.acceptable:
                items = [answer[index] for index in range(len(answer))]
                lists.append([standardize(v) if type(v) is str else v for v in items])
            self._standardized_lists = lists
        return self._standardized_lists

    def nfc_strings(self) -> frozenset[str]:
        if self._nfc is None:
            strings = (a for a in self.acceptable if isinstance(a, str) and a != "")
            self._nfc = frozenset(nfc(a) for a in strings)
        return self._nfc


@dataclass(slots=True)
class ExpectedCall:
    """One ground-truth call: the tool, its doc, and its parameters' acceptable values."""

    name: str
    """The name in the ground truth (after removing BFCL v1's `_N` suffixes)."""
    doc: dict[str, Any] | None
    """The function doc with that name, or None when the question does not offer it."""
    params: dict[str, ExpectedParam]
    language: Language = "python"
    underscore_to_dot: bool = False
    properties: dict[str, Any] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    _called: str | None = None
    _passed: CheckOutcome | None = None

    @classmethod
    def build(
        cls,
        name: str,
        answers: dict[str, list[Any]],
        doc: dict[str, Any] | None,
        *,
        language: Language = "python",
        underscore_to_dot: bool = False,
    ) -> ExpectedCall:
        parameters = (doc or {}).get("parameters") or {}
        properties = parameters.get("properties") or {}
        # A malformed entry (parameters not given as a dict) keeps no parameters.
        items = answers.items() if isinstance(answers, dict) else []
        params = {
            param: ExpectedParam(param, list(values), properties.get(param))
            for param, values in items
        }
        return cls(
            name,
            doc,
            params,
            language,
            underscore_to_dot,
            properties,
            list(parameters.get("required") or []),
        )

    def passed_outcome(self, check: str) -> CheckOutcome:
        """Return the outcome of a matching call, built once and shared by every match."""
        if self._passed is None or self._passed.check != check:
            tool = self.called_name() if self.doc is not None else self.name
            self._passed = CheckOutcome(
                check, True, tool=tool, extra={"parameters": list(self.params)}
            )
        return self._passed

    def called_name(self) -> str:
        """The name a model should call: the doc's, with `.` as `_` for function-calling models."""
        if self._called is None:
            name = str((self.doc or {}).get("name", self.name))
            if self.underscore_to_dot and "." in name:
                name = name.replace(".", "_")
            self._called = name
        return self._called


@dataclass(slots=True)
class ExpectedCase:
    """A question compiled for checking: its offered tools and its expected calls in order."""

    case_id: str
    category: str
    docs: list[dict[str, Any]]
    calls: list[ExpectedCall]
    language: Language = "python"
    underscore_to_dot: bool = False
    kind: str = ""
    """`parallel`, `multiple`, `simple`, `irrelevance` or `relevance`, from the category."""

    def __post_init__(self) -> None:
        self.kind = category_kind(self.category)

    @property
    def tools(self) -> list[ToolSpec]:
        return [
            ToolSpec(str(d.get("name")), d.get("parameters") or {}, d.get("description", ""))
            for d in self.docs
        ]


def category_kind(category: str) -> str:
    """Map a BFCL category to its checker, by substring as `ast_checker` dispatches."""
    if "irrelevance" in category or category == "relevance":
        return "irrelevance"
    if "relevance" in category:
        return "relevance"
    if "parallel" in category:
        return "parallel"
    if "multiple" in category:
        return "multiple"
    return "simple"


def compile_case(
    case_id: str,
    category: str,
    docs: list[dict[str, Any]],
    ground_truth: list[dict[str, dict[str, list[Any]]]],
    *,
    language: Language = "python",
    underscore_to_dot: bool = False,
) -> ExpectedCase:
    """Join each ground-truth call with the offered doc of the same name, once per question.

    `category` `relevance` is BFCL v1's name for what v4 calls `irrelevance` (no call is
    correct); v4's `live_relevance` expects at least one call.
    """
    by_name = {str(doc.get("name")): doc for doc in docs}
    simple = category_kind(category) == "simple"
    calls = []
    for entry in ground_truth:
        for name, answers in entry.items():
            # A simple question's one call is checked against its one doc whatever the
            # ground truth names it, as the reference does.
            doc = docs[0] if simple and docs else by_name.get(name)
            calls.append(
                ExpectedCall.build(
                    name,
                    answers,
                    doc,
                    language=language,
                    underscore_to_dot=underscore_to_dot,
                )
            )
    return ExpectedCase(case_id, category, docs, calls, language, underscore_to_dot)

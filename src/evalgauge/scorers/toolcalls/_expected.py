"""Expected calls compiled once per question: each ground-truth call joined with its function
doc, with the acceptable values of each parameter and their normalised forms cached.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from evalgauge.scorers.toolcalls._bfcl_types import Language, standardize
from evalgauge.scorers.toolcalls._model import CheckOutcome, ToolSpec

DEFAULT_KINDS = {
    **dict.fromkeys(("string", "String", "char", "str"), "string"),
    **dict.fromkeys(("integer", "int", "long", "short", "byte", "Bigint"), "integer"),
    **dict.fromkeys(("float", "double", "number"), "number"),
    **dict.fromkeys(("boolean", "Boolean", "bool"), "boolean"),
    **dict.fromkeys(("array", "list", "tuple", "Array", "ArrayList", "Queue", "Stack"), "array"),
    **dict.fromkeys(("dict", "object", "HashMap", "Hashtable"), "object"),
    **dict.fromkeys(("any", "Any"), "any"),
}
"""Doc type names read by their usual meaning, as `default` mode does. Any other means `any`."""
_PASSING_TYPES: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "integer": frozenset({int}),
    "number": frozenset({int, float}),
    "boolean": frozenset({bool}),
    "any": frozenset({str, int, float, bool}),
}
"""Per kind, the scalar types whose values always pass `default` mode's type check."""
ANY_SCALAR: frozenset[type] = frozenset({str, int, float, bool, type(None)})
_TRUE = object()
_FALSE = object()
"""Stand-ins for bools in list keys, since `True == 1` but `default` mode distinguishes them."""


def list_key(
    items: list[Any] | tuple[Any, ...], item_types: frozenset[type] = ANY_SCALAR
) -> tuple[Any, ...] | None:
    """Return a key that two lists share exactly when `default` mode finds them equal.

    Strings are normalised with `nfc` and numbers compare by value (5 == 5.0), as `equal`
    does. None when an item is not a string, number, bool or None, is NaN or is not of
    `item_types`.
    """
    key: list[Any] = []
    for item in items:
        item_type = type(item)
        if item_type not in item_types:
            return None
        if item_type is str:
            key.append(nfc(item))
        elif item_type is bool:
            key.append(_TRUE if item else _FALSE)
        elif item != item:
            return None  # NaN equals nothing, not even itself
        else:
            key.append(item)
    return tuple(key)


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
    passing_types: frozenset[type] = frozenset()
    """The scalar types that pass `default` mode's type check of the doc without a closer
    look: those of the doc's type and the answers' type. Empty when the doc lacks the
    parameter."""
    nfc_answers: frozenset[str] = frozenset()
    """The acceptable strings other than `""`, normalised with `nfc`."""
    number_answers: frozenset[int | float] = frozenset()
    """The acceptable numbers, `bool` excluded, for a set lookup in place of `equal`."""
    boolean_answers: frozenset[bool] = frozenset()
    list_keys: frozenset[tuple[Any, ...]] = frozenset()
    """The `list_key` of each acceptable list or tuple that has one."""
    lists_complete: bool = True
    """Whether every acceptable list or tuple has a `list_key`, so a list whose key is not
    in `list_keys` equals none of them."""
    item_types: frozenset[type] | None = None
    """The item types for which a list passes the doc's type check without a closer look.
    None when no list passes it, because the doc's type is neither an array nor `any`."""
    acceptable_text: str = ""
    """The start of `repr(acceptable)`, for failure details."""
    _standardized: frozenset[str] | None = None
    _standardized_lists: list[list[Any]] | None = None

    def __post_init__(self) -> None:
        self.answer_type = first_answer_type(self.acceptable)
        self.optional = "" in self.acceptable
        self.doc_type = str((self.doc or {}).get("type"))
        if self.doc is not None:
            self._compile_types(self.doc)
        answers = self.acceptable
        self.number_answers = frozenset(a for a in answers if type(a) in (int, float))
        self.boolean_answers = frozenset(a for a in answers if type(a) is bool)
        self.nfc_answers = frozenset(nfc(a) for a in answers if isinstance(a, str) and a != "")
        keys = [list_key(a) for a in answers if isinstance(a, (list, tuple))]
        self.list_keys = frozenset(key for key in keys if key is not None)
        self.lists_complete = None not in keys
        self.acceptable_text = f"{answers!r:.120}"

    def _compile_types(self, doc: dict[str, Any]) -> None:
        kind = DEFAULT_KINDS.get(self.doc_type, "any")
        passing = _PASSING_TYPES.get(kind, frozenset())
        if self.answer_type in (str, int, float, bool):
            passing |= {self.answer_type}
        self.passing_types = passing
        items = doc.get("items")
        if kind == "any" or (kind == "array" and not isinstance(items, dict)):
            self.item_types = ANY_SCALAR
        elif kind == "array" and isinstance(items, dict):
            item_kind = DEFAULT_KINDS.get(str(items.get("type")), "any")
            self.item_types = _PASSING_TYPES.get(item_kind, frozenset())

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
    unlisted_needed: list[str] = field(default_factory=list)
    """The ground truth's parameters that may not be left out but that the doc does not list
    as required."""

    def __post_init__(self) -> None:
        required = set(self.required)
        self.unlisted_needed = [
            param
            for param, spec in self.params.items()
            if not spec.optional and param not in required
        ]

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
    _passed: dict[str, tuple[CheckOutcome, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kind = category_kind(self.category)

    def passed_outcomes(self, check: str) -> tuple[CheckOutcome, ...]:
        """Return the outcomes of a case whose every call matched, built once per case."""
        outcomes = self._passed.get(check)
        if outcomes is None:
            outcomes = self._passed[check] = tuple(
                call.passed_outcome(check) for call in self.calls
            )
        return outcomes

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

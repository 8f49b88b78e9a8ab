"""LLM-as-judge scoring: the judge prompt, the scorer and the parser for the judge's reply.

`parse_verdict` reads the verdict from what real models send back: a JSON object (bare, in
a code fence or inside prose), a first line such as "PASS." or "**Verdict:** fail", or a
line that holds only the verdict. A reply with no verdict, or with both a pass and a fail
verdict, raises `JudgeParseError`. The parser never guesses a fail.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from evalgauge.cases import Case
from evalgauge.errors import JudgeParseError
from evalgauge.models._base import ChatMessage, ChatModel, ChatRequest
from evalgauge.scorers._base import Score

DEFAULT_TEMPLATE = """\
You are grading the output of an AI system against a rubric.

Rubric:
{rubric}

Input given to the system:
{input}

Output to grade:
{output}

Decide whether the output meets the rubric. Reply with only a JSON object, with no other \
text, of the form {"verdict": "pass", "reason": "<one sentence>"} or \
{"verdict": "fail", "reason": "<one sentence>"}.
"""

_PLACEHOLDER = re.compile(r"\{(rubric|input|output)\}")

_EXCERPT_CHARS = 160

# Words that carry a verdict in prose, and the extra values accepted inside JSON.
_TEXT_VERDICTS = {
    "pass": True,
    "passed": True,
    "passes": True,
    "fail": False,
    "failed": False,
    "fails": False,
}
_JSON_VERDICTS = {**_TEXT_VERDICTS, "true": True, "false": False, "yes": True, "no": False}

_VERDICT_KEYS = frozenset({"verdict", "result", "label", "decision", "passed"})
_REASON_KEYS = ("reason", "reasoning", "rationale", "explanation", "justification")

# Labels that may precede a verdict ("Verdict: PASS", "Overall: fail").
_LABEL = (
    r"(?:(?:final|overall)\s+)?"
    r"(?:verdict|result|decision|grade|judge?ment|label|answer|assessment|evaluation|rating)"
    r"|overall"
)
_TOKEN = r"(?P<token>pass(?:ed|es)?|fail(?:ed|s)?)"
_DECORATION = r"[\s*_`\"'\[\]()>#]*"
# Bullets, headings, emphasis, quotes and emoji that may open a verdict line ("✅ PASS").
_LINE_START = r"[\W_]*"

# A line that starts with a verdict, optionally after a label. `close` is the emphasis or
# quote that ends the token, and `rest` the text after it.
_LEADING = re.compile(
    rf"^{_LINE_START}(?P<label>(?:{_LABEL})\s*(?:is\s*)?[:=\-–—]?{_DECORATION})?{_TOKEN}\b"
    r"(?P<close>[*_`\"'\])]*)(?P<rest>.*)$",
    re.IGNORECASE,
)
# A line that contains only a label, such as a "## Verdict" heading above the verdict.
_LABEL_ONLY = re.compile(rf"^{_LINE_START}(?:{_LABEL}){_LINE_START}$", re.IGNORECASE)
# A labelled verdict inside a sentence ("so my verdict is FAIL").
_INLINE = re.compile(
    rf"\b(?:verdict|decision|judge?ment|grade)\s*(?:is|:|=)\s*{_DECORATION}{_TOKEN}\b(?P<rest>.*)$",
    re.IGNORECASE,
)
# A verdict in XML tags ("<verdict>PASS</verdict>").
_TAGGED = re.compile(
    rf"<(?P<tag>verdict|result|decision|label|answer|grade)>\s*{_TOKEN}\s*</(?P=tag)>",
    re.IGNORECASE,
)
_REASON_TAG = re.compile(
    r"<(?P<tag>reason|reasoning|rationale|explanation)>(?P<reason>.*?)</(?P=tag)>",
    re.IGNORECASE | re.DOTALL,
)
# A quoted verdict key left in text that is not valid JSON: a truncated object, or a
# Python dict with single quotes.
_KEY_FRAGMENT = re.compile(
    r"[\"'](?P<key>verdict|result|label|decision|passed)[\"']\s*:\s*[\"']?(?P<value>[\w-]*)",
    re.IGNORECASE,
)
# Text after a verdict token that makes it a choice rather than a verdict ("PASS or FAIL?").
_ALTERNATIVE = re.compile(
    rf"^{_DECORATION}(?:or|and|vs\.?|/|\|){_DECORATION}(?:pass|fail)|^\s*\?",
    re.IGNORECASE,
)
_REASON_PREFIX = re.compile(
    r"^[\W_]*(?:reason|reasoning|rationale|explanation|justification)[\W_]*:\s*", re.IGNORECASE
)
_FENCE = re.compile(r"^\s*```[\w-]*\s*$")
_SEPARATORS = " \t:.-–—!,;)]*_`\"'"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A judge's decision: whether the output passed, and the judge's stated reason."""

    passed: bool
    reason: str


def parse_verdict(text: str) -> Verdict:
    """Parse a judge reply into a `Verdict`, or raise `JudgeParseError` with an excerpt.

    Verdicts are collected from every JSON object in the reply (keys verdict, result,
    label, decision or passed) and from the prose around them. The reason is taken from
    the JSON reason key when there is one, and otherwise from the prose left after the
    verdict is removed.
    """
    objects, prose = _split_json(text)

    found: list[bool] = []
    reason: str | None = None
    for obj in objects:
        found.extend(_object_verdicts(obj, text))
        if reason is None:
            reason = _object_reason(obj)

    prose_verdicts, prose_reason = _prose_verdicts(prose, text)
    found.extend(prose_verdicts)

    if not found:
        raise JudgeParseError(f"judge reply contains no pass or fail verdict: {_excerpt(text)}")
    if len(set(found)) > 1:
        raise JudgeParseError(f"judge reply contains both pass and fail verdicts: {_excerpt(text)}")
    return Verdict(passed=found[0], reason=reason if reason is not None else prose_reason)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > _EXCERPT_CHARS:
        flat = flat[:_EXCERPT_CHARS] + "..."
    return repr(flat)


def _split_json(text: str) -> tuple[list[dict[str, Any]], str]:
    """Return the JSON objects found anywhere in `text`, and `text` with them cut out."""
    decoder = json.JSONDecoder()
    objects: list[dict[str, Any]] = []
    pieces: list[str] = []
    position = 0
    search_from = 0
    while (start := text.find("{", search_from)) != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            search_from = start + 1
            continue
        if not isinstance(value, dict):
            search_from = start + 1
            continue
        objects.append(value)
        pieces.append(text[position:start])
        pieces.append("\n")
        position = search_from = end
    pieces.append(text[position:])
    return objects, "".join(pieces)


def _object_verdicts(obj: dict[str, Any], reply: str, depth: int = 0) -> list[bool]:
    verdicts: list[bool] = []
    for key, value in obj.items():
        if isinstance(value, dict):
            if depth < 2:
                verdicts.extend(_object_verdicts(value, reply, depth + 1))
            continue
        if str(key).strip().lower() not in _VERDICT_KEYS:
            continue
        verdict = _json_value_verdict(value)
        if verdict is None:
            raise JudgeParseError(
                f"judge reply has {key!r} = {value!r}, which is not pass or fail: {_excerpt(reply)}"
            )
        verdicts.append(verdict)
    return verdicts


def _json_value_verdict(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        # Drops case, punctuation and emphasis: "PASS.", "**Fail**" and "yes!" all count.
        return _JSON_VERDICTS.get(re.sub(r"[^a-z]+", "", value.lower()))
    return None


def _object_reason(obj: dict[str, Any], depth: int = 0) -> str | None:
    lowered = {str(key).strip().lower(): value for key, value in obj.items()}
    for key in _REASON_KEYS:
        value = lowered.get(key)
        if isinstance(value, str):
            return value.strip()
    if depth < 2:
        for value in obj.values():
            if isinstance(value, dict):
                nested = _object_reason(value, depth + 1)
                if nested is not None:
                    return nested
    return None


def _prose_verdicts(prose: str, reply: str) -> tuple[list[bool], str]:
    """Collect verdicts from the text outside JSON objects, and the text that is left over.

    A line counts when it starts with a verdict after a label ("Verdict: fail"), when it
    is the first line and starts with a verdict ("PASS. The answer is right"), or when it
    is only a verdict ("**FAIL**"). A sentence that names it ("my verdict is pass"), XML
    tags and quoted keys of broken JSON count anywhere.
    """
    verdicts = [_TEXT_VERDICTS[tagged.group("token").lower()] for tagged in _TAGGED.finditer(prose)]
    prose = _TAGGED.sub("\n", prose)
    prose = _REASON_TAG.sub(lambda match: "\n" + match.group("reason") + "\n", prose)

    lines = [line for line in prose.splitlines() if not _FENCE.match(line)]
    first_index = next((i for i, line in enumerate(lines) if line.strip()), None)

    leftover_lines: list[str] = []
    for index, line in enumerate(lines):
        leading = _leading_verdict(line, is_first=index == first_index, reply=reply)
        if leading is not None:
            verdict, rest = leading
            verdicts.append(verdict)
            leftover_lines.append(rest)
            continue
        verdicts.extend(_embedded_verdicts(line, reply))
        if not _LABEL_ONLY.match(line):
            leftover_lines.append(line)

    leftover = "\n".join(line.rstrip() for line in leftover_lines if line.strip()).strip()
    return verdicts, _REASON_PREFIX.sub("", leftover)


def _embedded_verdicts(line: str, reply: str) -> list[bool]:
    """Return the verdicts named inside `line`: in a sentence or in broken JSON."""
    verdicts: list[bool] = []
    inline = _INLINE.search(line)
    if inline is not None:
        _reject_alternative(inline.group("rest"), reply)
        verdicts.append(_TEXT_VERDICTS[inline.group("token").lower()])
    for fragment in _KEY_FRAGMENT.finditer(line):
        verdict = _json_value_verdict(fragment.group("value"))
        if verdict is None:
            raise JudgeParseError(
                f"judge reply has {fragment.group('key')!r} = {fragment.group('value')!r}, "
                f"which is not pass or fail: {_excerpt(reply)}"
            )
        verdicts.append(verdict)
    return verdicts


def _leading_verdict(line: str, *, is_first: bool, reply: str) -> tuple[bool, str] | None:
    """Return (verdict, rest of line) if `line` opens with a verdict that counts, else None."""
    match = _LEADING.match(line)
    if match is None:
        return None
    token = match.group("token")
    rest = match.group("rest")
    if re.match(r"-\w", rest):
        return None  # "fail-safe", "pass-through"

    remainder = rest.strip(_SEPARATORS)
    labelled = match.group("label") is not None
    if not (labelled or is_first or not remainder):
        return None
    _reject_alternative(rest, reply)

    # On a bare first line, "PASS the response..." and "PASS: the response..." are verdicts
    # but "Passes the first check, then..." reads as prose. The token must be upper case,
    # closed by emphasis or a quote, or followed by punctuation.
    if not labelled and remainder:
        closed = bool(match.group("close"))
        after = rest.lstrip()
        punctuated = bool(after) and not after[0].isalnum()
        if not (token.isupper() or closed or punctuated):
            return None
    return _TEXT_VERDICTS[token.lower()], remainder


def _reject_alternative(rest: str, reply: str) -> None:
    if _ALTERNATIVE.match(rest):
        raise JudgeParseError(
            f"judge reply offers a choice of verdicts instead of one: {_excerpt(reply)}"
        )


class LLMJudge:
    """A scorer that sends a rubric, an input and an output to a chat model and reads its verdict.

    The template is filled in one pass: `{rubric}`, `{input}` (the case's input text) and
    `{output}` are replaced, and nothing else, so braces in the rubric, input or output are
    sent as they are. The request uses temperature 0. Errors from the model
    (`TransientError`, `TargetError`) propagate unchanged for the engine to retry or
    record. A reply without a readable verdict raises `JudgeParseError`.
    """

    def __init__(
        self,
        model: ChatModel,
        rubric: str,
        *,
        name: str = "judge",
        template: str = DEFAULT_TEMPLATE,
        timeout: float = 60.0,
    ) -> None:
        if not rubric.strip():
            raise ValueError(f"judge {name!r}: the rubric is empty")
        for placeholder in ("{rubric}", "{output}"):
            if placeholder not in template:
                raise ValueError(f"judge {name!r}: the template has no {placeholder} placeholder")
        if timeout <= 0:
            raise ValueError(f"judge {name!r}: timeout must be positive, got {timeout}")
        self.model = model
        self.rubric = rubric
        self.name = name
        self.template = template
        self.timeout = timeout
        # The first 16 hex digits of SHA-256 over template + rubric (UTF-8), recorded with
        # every score so that a changed prompt shows up in lineage.
        self.prompt_hash = hashlib.sha256((template + rubric).encode("utf-8")).hexdigest()[:16]

    def identity(self) -> dict[str, str]:
        return {"judge_model": self.model.identity(), "prompt_hash": self.prompt_hash}

    def render(self, case: Case, output: str) -> str:
        """Fill the template for one case and output."""
        values = {"rubric": self.rubric, "input": case.input_text(), "output": output}
        return _PLACEHOLDER.sub(lambda match: values[match.group(1)], self.template)

    async def score(self, case: Case, output: str) -> Score:
        request = ChatRequest(
            messages=(ChatMessage(role="user", content=self.render(case, output)),),
            temperature=0.0,
        )
        response = await self.model.complete(request, timeout=self.timeout)
        try:
            verdict = parse_verdict(response.text)
        except JudgeParseError as exc:
            raise JudgeParseError(f"judge {self.name!r}: {exc}") from exc
        return Score(
            name=self.name,
            value=1.0 if verdict.passed else 0.0,
            passed=verdict.passed,
            reason=verdict.reason,
            usage=response.usage,
            model=response.model,
        )

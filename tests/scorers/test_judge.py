"""Tests for the judge reply parser and for LLMJudge against the fake LLM server."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from evalgauge.cases import Case
from evalgauge.errors import JudgeParseError, TargetError, TransientError
from evalgauge.models import OpenAICompatibleModel
from evalgauge.scorers.judge import DEFAULT_TEMPLATE, LLMJudge, Verdict, parse_verdict
from tests.fakes import FakeLLMServer, Reply, last_user_text, sequence_script, verdict_script


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# (reply, expected passed, text the reason must contain)
PARSEABLE: list[tuple[str, bool, str]] = [
    ("PASS", True, ""),
    ("FAIL", False, ""),
    ("pass", True, ""),
    ("PASS.", True, ""),
    ("Fail!", False, ""),
    ("**PASS**", True, ""),
    ("**FAIL** - the answer gives the wrong capital.", False, "wrong capital"),
    ("Verdict: fail", False, ""),
    ("Verdict: PASS\nThe response cites the source.", True, "cites the source"),
    ("**Verdict:** Pass\n\nThe summary keeps every figure.", True, "every figure"),
    ("Final verdict: FAILED", False, ""),
    ("   \n\n  PASS\n", True, ""),
    ("PASS: the response answers the question directly.", True, "answers the question"),
    ("FAIL\nThe output invents a citation that is not in the source.", False, "invents"),
    ("PASS The response is polite and accurate.", True, "polite"),
    ('{"verdict": "pass", "reason": "Correct and concise."}', True, "Correct and concise."),
    ('{"verdict": "FAIL", "reason": "Misses the second question."}', False, "second question"),
    ('```json\n{"verdict": "pass", "reason": "Matches the reference."}\n```', True, "reference"),
    ('```\n{"verdict": "fail", "reason": "Too long."}\n```', False, "Too long."),
    (
        'Here is my evaluation:\n\n{"verdict": "fail", "reason": "It leaks the system prompt."}',
        False,
        "system prompt",
    ),
    (
        'I checked each criterion.\n```json\n{"result": "pass", "reason": "All met."}\n```\n',
        True,
        "All met.",
    ),
    ('{"label": "yes", "explanation": "Grounded in the context."}', True, "Grounded"),
    ('{"decision": "no", "rationale": "Contradicts the document."}', False, "Contradicts"),
    ('{"passed": true, "reason": "Fine."}', True, "Fine."),
    ('{"passed": false, "reason": "Rude tone."}', False, "Rude tone."),
    ('{"verdict": true}', True, ""),
    ('{"Verdict": "Pass.", "Reason": "Good."}', True, "Good."),
    ('{"evaluation": {"verdict": "fail", "reason": "Off topic."}}', False, "Off topic."),
    ('PASS\n{"verdict": "pass", "reason": "Consistent."}', True, "Consistent."),
    (
        '{"verdict": "pass", "reason": "Uses {braces} and \\"quotes\\" safely."}',
        True,
        "{braces}",
    ),
    (
        "The response addresses both parts of the question and cites the source.\n\nVerdict: PASS",
        True,
        "addresses both parts",
    ),
    ("Reasoning: the answer omits the date.\nFinal answer: FAIL", False, "omits the date"),
    ("After weighing the rubric, my verdict is fail.", False, "weighing the rubric"),
    ("The output is accurate.\n\n**PASS**", True, "accurate"),
    ("FAIL (the answer is not grounded in the context)", False, "not grounded"),
    ('{"verdict": "pass", "reason": "ok"} ', True, "ok"),
    ("Result: passed", True, ""),
    ("Pass - meets all criteria", True, "meets all criteria"),
    ("1. Accuracy: ok\n2. Tone: ok\n\nOverall: PASS", True, "Tone: ok"),
    ("<verdict>FAIL</verdict>\n<reason>Wrong unit.</reason>", False, "Wrong unit."),
    ("✅ PASS", True, ""),
    ("## Verdict\nPASS", True, ""),
    ("Verdict: **FAIL**\nReason: the total is wrong.", False, "the total is wrong."),
    ('{"verdict": "pass", "reason": "The output is corr', True, ""),
    ("{'verdict': 'fail', 'reason': 'Python dict, not JSON.'}", False, ""),
]

# (reply, text the error message must contain)
UNPARSEABLE: list[tuple[str, str]] = [
    ("", "no pass or fail verdict"),
    ("   \n", "no pass or fail verdict"),
    ("I am not able to judge this response.", "no pass or fail verdict"),
    ("The response is mostly good but incomplete.", "no pass or fail verdict"),
    ("PASS or FAIL?", "choice of verdicts"),
    ("Verdict: PASS/FAIL", "choice of verdicts"),
    ("Pass?", "choice of verdicts"),
    ('{"verdict": "pass"}\nFAIL: the answer is wrong.', "both pass and fail"),
    ('FAIL\n```json\n{"verdict": "pass", "reason": "fine"}\n```', "both pass and fail"),
    ('{"verdict": "pass", "passed": false}', "both pass and fail"),
    ('{"verdict": "maybe", "reason": "unclear"}', "not pass or fail"),
    ('{"verdict": null}', "not pass or fail"),
    ('{"score": 0.8, "reason": "good"}', "no pass or fail verdict"),
    ("Passes the first check, then breaks on the second.", "no pass or fail verdict"),
    ("Verdict: not pass", "no pass or fail verdict"),
    ("The fail-safe wording is fine.", "no pass or fail verdict"),
    ("<verdict>PASS</verdict> <verdict>FAIL</verdict>", "both pass and fail"),
    ("{'verdict': 'unsure'}", "not pass or fail"),
]


@pytest.mark.parametrize(("reply", "passed", "reason_part"), PARSEABLE)
def test_parse_verdict_reads_reply(reply: str, passed: bool, reason_part: str) -> None:
    verdict = parse_verdict(reply)

    assert verdict.passed is passed
    assert reason_part in verdict.reason


@pytest.mark.parametrize(("reply", "message_part"), UNPARSEABLE)
def test_parse_verdict_rejects_reply(reply: str, message_part: str) -> None:
    with pytest.raises(JudgeParseError) as caught:
        parse_verdict(reply)

    assert message_part in str(caught.value)


def test_parse_verdict_table_size() -> None:
    assert len(PARSEABLE) + len(UNPARSEABLE) >= 30


def test_parse_verdict_error_has_excerpt() -> None:
    reply = "I refuse to grade this. " * 40

    with pytest.raises(JudgeParseError) as caught:
        parse_verdict(reply)

    message = str(caught.value)
    assert "I refuse to grade this." in message
    assert len(message) < 300


def test_parse_verdict_returns_frozen_verdict() -> None:
    verdict = parse_verdict("PASS")

    assert verdict == Verdict(passed=True, reason="")
    with pytest.raises(AttributeError):
        verdict.passed = False  # type: ignore[misc]


def test_parse_verdict_json_reason_wins() -> None:
    verdict = parse_verdict('Looks fine overall.\n{"verdict": "pass", "reason": "All checks."}')

    assert verdict.passed is True
    assert verdict.reason == "All checks."


# --- LLMJudge against the fake server ---

RUBRIC = "The output must name the capital of the country in the input."


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(verdict_script(True)) as running:
        yield running


def make_judge(server: FakeLLMServer, **options: Any) -> tuple[LLMJudge, OpenAICompatibleModel]:
    model = OpenAICompatibleModel("judge-model", base_url=server.base_url, api_key_env=None)
    return LLMJudge(model, RUBRIC, **options), model


def case(text: str = "France") -> Case:
    return Case(case_id="c1", inputs={"country": text})


@pytest.mark.anyio
async def test_judge_pass_reply(server: FakeLLMServer) -> None:
    server.reset(verdict_script(True, reason="names Paris"))
    judge, model = make_judge(server)
    try:
        score = await judge.score(case(), "Paris")
    finally:
        await model.aclose()

    assert score.name == "judge"
    assert score.value == 1.0
    assert score.passed is True
    assert score.reason == "names Paris"


@pytest.mark.anyio
async def test_judge_fail_reply(server: FakeLLMServer) -> None:
    server.reset(verdict_script(lambda prompt: "Paris" in prompt, reason="checked"))
    judge, model = make_judge(server, name="capital")
    try:
        score = await judge.score(case(), "Lyon")
    finally:
        await model.aclose()

    assert score.name == "capital"
    assert score.value == 0.0
    assert score.passed is False


@pytest.mark.anyio
async def test_judge_unparseable_reply(server: FakeLLMServer) -> None:
    server.reset(sequence_script([Reply(content="I cannot decide.")]))
    judge, model = make_judge(server, name="capital")
    try:
        with pytest.raises(JudgeParseError) as caught:
            await judge.score(case(), "Paris")
    finally:
        await model.aclose()

    assert "capital" in str(caught.value)
    assert "I cannot decide." in str(caught.value)


@pytest.mark.anyio
async def test_judge_sends_rendered_prompt(server: FakeLLMServer) -> None:
    judge, model = make_judge(server)
    try:
        await judge.score(case("Japan"), "Tokyo")
    finally:
        await model.aclose()

    assert len(server.requests) == 1
    body = server.requests[0]
    assert body["temperature"] == 0
    assert body["model"] == "judge-model"
    assert len(body["messages"]) == 1
    prompt = last_user_text(body)
    assert RUBRIC in prompt
    assert "Japan" in prompt
    assert "Tokyo" in prompt
    assert '"verdict"' in prompt


@pytest.mark.anyio
async def test_judge_keeps_braces_in_user_text(server: FakeLLMServer) -> None:
    judge, model = make_judge(server)
    tricky_input = 'Return {"a": 1} and {output} literally'
    tricky_output = "{rubric} {0} {input}"
    try:
        await judge.score(case(tricky_input), tricky_output)
    finally:
        await model.aclose()

    prompt = last_user_text(server.requests[0])
    assert tricky_input in prompt
    assert tricky_output in prompt
    assert prompt.count(RUBRIC) == 1


@pytest.mark.anyio
async def test_judge_propagates_transient_error(server: FakeLLMServer) -> None:
    server.reset(sequence_script([Reply(status=429, headers={"Retry-After": "3"})]))
    judge, model = make_judge(server)
    try:
        with pytest.raises(TransientError) as caught:
            await judge.score(case(), "Paris")
    finally:
        await model.aclose()

    assert caught.value.retry_after == 3.0


@pytest.mark.anyio
async def test_judge_propagates_target_error(server: FakeLLMServer) -> None:
    server.reset(sequence_script([Reply(status=400, content="unknown model")]))
    judge, model = make_judge(server)
    try:
        with pytest.raises(TargetError) as caught:
            await judge.score(case(), "Paris")
    finally:
        await model.aclose()

    assert type(caught.value) is TargetError
    assert "400" in str(caught.value)
    assert "unknown model" in str(caught.value)


def test_judge_identity_has_prompt_hash(server: FakeLLMServer) -> None:
    judge, _ = make_judge(server)
    expected_hash = hashlib.sha256((DEFAULT_TEMPLATE + RUBRIC).encode()).hexdigest()[:16]

    identity = judge.identity()

    assert identity["prompt_hash"] == expected_hash
    assert identity["judge_model"] == f"openai-compatible:{server.base_url}:judge-model"
    assert len(identity["prompt_hash"]) == 16


def test_judge_prompt_hash_tracks_prompt(server: FakeLLMServer) -> None:
    base, _ = make_judge(server)
    other_rubric = LLMJudge(base.model, RUBRIC + " Be strict.")
    other_template = LLMJudge(base.model, RUBRIC, template="{rubric}\n{output}\nPASS or FAIL?")

    assert other_rubric.prompt_hash != base.prompt_hash
    assert other_template.prompt_hash != base.prompt_hash
    assert LLMJudge(base.model, RUBRIC).prompt_hash == base.prompt_hash


def test_judge_rejects_bad_setup(server: FakeLLMServer) -> None:
    base, _ = make_judge(server)

    with pytest.raises(ValueError, match="rubric is empty"):
        LLMJudge(base.model, "  ")
    with pytest.raises(ValueError, match=r"\{output\}"):
        LLMJudge(base.model, RUBRIC, template="{rubric} only")
    with pytest.raises(ValueError, match=r"\{rubric\}"):
        LLMJudge(base.model, RUBRIC, template="{output} only")
    with pytest.raises(ValueError, match="timeout"):
        LLMJudge(base.model, RUBRIC, timeout=0)

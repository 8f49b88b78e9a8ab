import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from evalgauge.ci import gate_markdown, github_annotations, junit_xml, write_step_summary
from evalgauge.ci._markdown import format_ms, format_number, format_usd, format_value
from evalgauge.gate import CaseVerdict, GateReport, Override, RuleOutcome

OVERRIDE = Override(
    rule="latency-p95",
    reason="provider incident, see status page",
    approver="alice",
    created_at=datetime(2024, 5, 1, 9, 30),
    expires=date(2024, 6, 1),
    commit="abc1234",
)


def make_outcome(status: str, **changes: Any) -> RuleOutcome:
    fields: dict[str, Any] = {
        "rule": f"accuracy-{status}",
        "text": "accuracy >= baseline - 0.02",
        "suite": "smoke",
        "severity": "soft" if status == "warn" else "hard",
        "status": status,
        "metric": "accuracy",
        "op": ">=",
        "threshold": 0.83,
        "observed": 0.8123,
        "point": 0.84,
        "basis": "lower_bound",
        "message": f"accuracy {status}: lower bound 0.812 < 0.830",
    }
    fields.update(changes)
    return RuleOutcome(**fields)


def make_scorecard() -> dict[str, Any]:
    return {
        "cases": 1200,
        "metrics": [
            {
                "name": "accuracy",
                "mean": 0.84,
                "ci_low": 0.8123,
                "ci_high": 0.8651,
                "scored": 1195,
                "errored": 5,
            },
            {"name": "judge", "mean": None, "ci_low": None, "ci_high": None, "scored": 0},
        ],
        "latency_ms": {"p50": 120.4, "p95": 812.6, "p99": 1530.0},
        "cost": {"total_usd": 1.2345, "mean_usd": 0.0010287, "unpriced": 3},
        "stop_reason": "budget",
    }


def make_report() -> GateReport:
    """Return a report with one outcome of every status on suite smoke, plus suite nightly."""
    return GateReport(
        tier="smoke",
        commit="0123456789abcdef",
        outcomes=[
            make_outcome("pass"),
            make_outcome("fail"),
            make_outcome("warn"),
            make_outcome(
                "overridden",
                rule="latency-p95",
                text="p95_latency_ms <= 800",
                metric="p95_latency_ms",
                op="<=",
                threshold=800.0,
                observed=812.6,
                override=OVERRIDE,
            ),
            make_outcome("skipped", observed=None, point=None, message="no case scored"),
        ],
        overrides=[OVERRIDE],
        warnings=["baseline main-scorecard.json is 9 days old"],
        scorecards={"smoke": make_scorecard(), "nightly": {"cases": 0}},
        regressions={"smoke": ["case-1", "case-2"]},
    )


def make_verdicts(count: int) -> Iterator[CaseVerdict]:
    """Yield verdicts cycling through passed, failed and errored, 100 ms each."""
    for index in range(count):
        passed = (True, False, None)[index % 3]
        message = None if passed else f"case {index} {'failed' if passed is False else 'error'}"
        yield CaseVerdict("smoke", f"case-{index}", "accuracy", passed, 100.0, message)


def parse(xml: str) -> ET.Element:
    return ET.fromstring(xml.encode("utf-8"))


def suite_named(root: ET.Element, name: str) -> ET.Element:
    matches = [suite for suite in root.findall("testsuite") if suite.get("name") == name]
    assert len(matches) == 1, f"expected one testsuite {name!r}"
    return matches[0]


def counts(element: ET.Element) -> dict[str, str | None]:
    return {key: element.get(key) for key in ("tests", "failures", "errors", "skipped")}


# JUnit XML


def test_junit_root_layout():
    root = parse(junit_xml(make_report()))
    assert root.tag == "testsuites"
    names = [suite.get("name") for suite in root.findall("testsuite")]
    assert names == ["evalgauge.gate", "evalgauge.smoke", "evalgauge.nightly"]
    assert all(case.tag == "testcase" for suite in root for case in suite.iter("testcase"))


def test_junit_declares_utf8():
    xml = junit_xml(make_report())
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')


def test_junit_gate_counts():
    gate = suite_named(parse(junit_xml(make_report())), "evalgauge.gate")
    assert counts(gate) == {"tests": "5", "failures": "1", "errors": "0", "skipped": "2"}
    assert gate.get("time") == "0.000"


def test_junit_gate_case_names():
    gate = suite_named(parse(junit_xml(make_report())), "evalgauge.gate")
    names = [case.get("name") for case in gate.findall("testcase")]
    assert names == [
        "accuracy-pass [smoke]",
        "accuracy-fail [smoke]",
        "accuracy-warn [smoke]",
        "latency-p95 [smoke]",
        "accuracy-skipped [smoke]",
    ]
    assert {case.get("classname") for case in gate.findall("testcase")} == {"evalgauge.gate"}


def test_junit_passed_rule_is_plain():
    gate = suite_named(parse(junit_xml(make_report())), "evalgauge.gate")
    passed = gate.findall("testcase")[0]
    assert list(passed) == []


def test_junit_failed_rule_is_hard_failure():
    gate = suite_named(parse(junit_xml(make_report())), "evalgauge.gate")
    failed = gate.findall("testcase")[1]
    failure = failed.find("failure")
    assert failure is not None
    assert failure.get("type") == "hard"
    assert failure.get("message") == "accuracy fail: lower bound 0.812 < 0.830"
    assert failure.text is not None
    assert "rule: accuracy >= baseline - 0.02" in failure.text
    assert "threshold: >= 0.830" in failure.text


def test_junit_warned_rule_is_not_failure():
    gate = suite_named(parse(junit_xml(make_report())), "evalgauge.gate")
    warned = gate.findall("testcase")[2]
    assert warned.find("failure") is None
    assert warned.find("error") is None
    assert warned.find("skipped") is None
    output = warned.find("system-out")
    assert output is not None
    assert output.text is not None
    assert "accuracy warn: lower bound 0.812 < 0.830" in output.text


def test_junit_overridden_rule_is_skipped():
    gate = suite_named(parse(junit_xml(make_report())), "evalgauge.gate")
    skipped = gate.findall("testcase")[3].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == (
        "overridden by alice until 2024-06-01: provider incident, see status page"
    )


def test_junit_skipped_rule_is_skipped():
    gate = suite_named(parse(junit_xml(make_report())), "evalgauge.gate")
    skipped = gate.findall("testcase")[4].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "no case scored"


def test_junit_warnings_in_gate_output():
    gate = suite_named(parse(junit_xml(make_report())), "evalgauge.gate")
    output = gate.find("system-out")
    assert output is not None
    assert output.text == "baseline main-scorecard.json is 9 days old"


def test_junit_suites_without_cases():
    root = parse(junit_xml(make_report()))
    for name in ("evalgauge.smoke", "evalgauge.nightly"):
        suite = suite_named(root, name)
        assert counts(suite) == {"tests": "0", "failures": "0", "errors": "0", "skipped": "0"}
        assert suite.findall("testcase") == []


def test_junit_case_verdicts():
    root = parse(junit_xml(make_report(), make_verdicts(3)))
    smoke = suite_named(root, "evalgauge.smoke")
    assert counts(smoke) == {"tests": "3", "failures": "1", "errors": "1", "skipped": "0"}
    assert smoke.get("time") == "0.300"
    passed, failed, errored = smoke.findall("testcase")
    assert passed.get("classname") == "evalgauge.smoke"
    assert passed.get("name") == "case-0 [accuracy]"
    assert passed.get("time") == "0.100"
    assert list(passed) == []
    failure = failed.find("failure")
    assert failure is not None
    assert failure.get("message") == "case 1 failed"
    assert failed.find("error") is None
    error = errored.find("error")
    assert error is not None
    assert error.get("message") == "case 2 error"
    assert errored.find("failure") is None


def test_junit_root_counts_sum_suites():
    root = parse(junit_xml(make_report(), make_verdicts(3)))
    assert counts(root) == {"tests": "8", "failures": "2", "errors": "1", "skipped": "2"}
    assert root.get("time") == "0.300"


def test_junit_case_without_latency():
    verdict = CaseVerdict("smoke", "c1", "accuracy", True)
    smoke = suite_named(parse(junit_xml(make_report(), [verdict])), "evalgauge.smoke")
    assert smoke.findall("testcase")[0].get("time") is None
    assert smoke.get("time") == "0.000"


def test_junit_case_of_unknown_suite():
    verdict = CaseVerdict("extra", "c1", "accuracy", None, 50.0, "timed out")
    root = parse(junit_xml(make_report(), [verdict]))
    extra = suite_named(root, "evalgauge.extra")
    assert counts(extra) == {"tests": "1", "failures": "0", "errors": "1", "skipped": "0"}
    assert extra.get("time") == "0.050"


def test_junit_strips_forbidden_characters():
    bad = "nul\x00 bs\x08 vt\x0b ff\x0c esc\x1b nonchar\ufffe\uffff surrogate\ud800 end"
    report = make_report()
    report.outcomes[1] = make_outcome("fail", message=bad, rule="rule\x01")
    report.warnings.append("warning\x02 text")
    verdicts = [CaseVerdict("smoke", "case\x03", "accuracy", False, 10.0, bad)]
    root = parse(junit_xml(report, verdicts))

    stripped = "nul bs vt ff esc nonchar surrogate end"
    gate = suite_named(root, "evalgauge.gate")
    failed = gate.findall("testcase")[1]
    assert failed.get("name") == "rule [smoke]"
    failure = failed.find("failure")
    assert failure is not None
    assert failure.get("message") == stripped
    output = gate.find("system-out")
    assert output is not None
    assert output.text is not None
    assert "warning text" in output.text
    case = suite_named(root, "evalgauge.smoke").findall("testcase")[0]
    assert case.get("name") == "case [accuracy]"
    case_failure = case.find("failure")
    assert case_failure is not None
    assert case_failure.get("message") == stripped


def test_junit_keeps_markup_and_whitespace():
    message = "expected <b>&\"x\"</b>\n\tgot 'y'\r\nend"
    verdicts = [CaseVerdict("smoke", "c1", "accuracy", False, 10.0, message)]
    case = suite_named(parse(junit_xml(make_report(), verdicts)), "evalgauge.smoke")[0]
    failure = case.find("failure")
    assert failure is not None
    # The XML parser normalizes CRLF to LF, even in an escaped attribute value.
    assert failure.get("message") in (message, message.replace("\r\n", "\n"))


def test_junit_empty_report():
    root = parse(junit_xml(GateReport(tier=None, commit=None, outcomes=[])))
    assert counts(root) == {"tests": "0", "failures": "0", "errors": "0", "skipped": "0"}
    assert [suite.get("name") for suite in root] == ["evalgauge.gate"]


def test_junit_hundred_thousand_cases():
    xml = junit_xml(make_report(), make_verdicts(100_000))
    root = parse(xml)
    smoke = suite_named(root, "evalgauge.smoke")
    assert len(smoke.findall("testcase")) == 100_000
    assert counts(smoke) == {
        "tests": "100000",
        "failures": "33333",
        "errors": "33333",
        "skipped": "0",
    }
    assert smoke.get("time") == "10000.000"


# Markdown

TABLE_SEPARATOR = re.compile(r"(?<!\\)\|")


def table_rows(markdown: str, header_start: str) -> list[str]:
    """Return the table that starts with `header_start`, header and separator included."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def cell_count(row: str) -> int:
    return len(TABLE_SEPARATOR.split(row)) - 2


def test_markdown_verdict_failed():
    report = make_report()
    report.outcomes.append(make_outcome("fail", rule="second"))
    first_line = gate_markdown(report).splitlines()[0]
    assert first_line.startswith("**Gate failed: 2 hard rules**")
    assert "1 soft rule warned" in first_line
    assert "1 rule overridden" in first_line
    assert "tier `smoke`" in first_line
    assert "commit `0123456789abcdef`" in first_line


def test_markdown_verdict_passed():
    report = GateReport(tier=None, commit=None, outcomes=[make_outcome("pass")])
    first_line = gate_markdown(report).splitlines()[0]
    assert first_line.startswith("**Gate passed**")
    assert "tier n/a" in first_line
    assert "commit n/a" in first_line


def test_markdown_verdict_one_hard_rule():
    report = GateReport(tier="full", commit="c", outcomes=[make_outcome("fail")])
    assert gate_markdown(report).startswith("**Gate failed: 1 hard rule**")


def test_markdown_rules_table():
    rows = table_rows(gate_markdown(make_report()), "| Status |")
    assert len(rows) == 2 + 5
    assert [row.split(" | ")[0] for row in rows[2:]] == [
        "| **FAIL**",
        "| **WARN**",
        "| **OVERRIDDEN**",
        "| **SKIPPED**",
        "| **PASS**",
    ]
    failed = rows[2]
    assert "`accuracy >= baseline - 0.02`" in failed
    assert "| 0.812 |" in failed
    assert "| >= 0.830 |" in failed
    assert "| lower_bound |" in failed
    assert "| accuracy fail: lower bound 0.812 < 0.830 |" in failed
    overridden = rows[4]
    assert "`p95_latency_ms <= 800`" in overridden
    assert "| 813 ms |" in overridden
    assert "| <= 800 ms |" in overridden


def test_markdown_escapes_cells():
    report = make_report()
    report.outcomes[1] = make_outcome(
        "fail", text="a|b >= 1", suite="s|1", message="line one | x\nline two <script> &lt; R&D"
    )
    rows = table_rows(gate_markdown(report), "| Status |")
    header_cells = cell_count(rows[0])
    assert all(cell_count(row) == header_cells for row in rows)
    failed = rows[2]
    assert "`a\\|b >= 1`" in failed
    assert "| s\\|1 |" in failed
    assert "line one \\| x<br>line two &lt;script> &amp;lt; R&D" in failed


def test_markdown_scorecards_table():
    rows = table_rows(gate_markdown(make_report()), "| Suite |")
    assert len(rows) == 2 + 2
    smoke, nightly = rows[2], rows[3]
    assert smoke.startswith("| smoke | 1,200 |")
    assert "`accuracy` 0.840 [0.812, 0.865] (1,195 scored, 5 errored)" in smoke
    assert "`judge` n/a (0 scored)" in smoke
    assert "| 120 / 813 / 1,530 |" in smoke
    assert "| $1.23 | $0.001029 | 3 |" in smoke
    assert smoke.endswith("| stopped: budget |")
    assert nightly == "| nightly | 0 | none | n/a / n/a / n/a | n/a | n/a | n/a | none |"
    header_cells = cell_count(rows[0])
    assert all(cell_count(row) == header_cells for row in rows)


def test_markdown_overrides_and_warnings():
    markdown = gate_markdown(make_report())
    rows = table_rows(markdown, "| Rule | Approver |")
    assert rows[2] == (
        "| `latency-p95` | alice | provider incident, see status page | 2024-06-01 "
        "| 2024-05-01T09:30:00 | `abc1234` |"
    )
    assert "### Warnings\n\n- baseline main-scorecard.json is 9 days old" in markdown


def test_markdown_warning_escapes_html():
    report = GateReport(tier=None, commit=None, outcomes=[], warnings=["<b>bold</b>\nnext"])
    assert "- &lt;b>bold&lt;/b>\n  next" in gate_markdown(report)


def test_markdown_regressions_truncated():
    report = make_report()
    report.regressions = {"smoke": [f"case-{i}" for i in range(25)], "empty": []}
    markdown = gate_markdown(report, max_regressions=20)
    line = next(line for line in markdown.splitlines() if line.startswith("- `smoke`"))
    assert line.startswith("- `smoke` (25 cases): `case-0`, `case-1`")
    assert "`case-19` and 5 more" in line
    assert "`case-20`" not in line
    assert "`empty`" not in markdown


def test_markdown_regressions_not_truncated():
    markdown = gate_markdown(make_report(), max_regressions=2)
    assert "- `smoke` (2 cases): `case-1`, `case-2`\n" in markdown
    assert "more" not in markdown


def test_markdown_regressions_zero_shown():
    markdown = gate_markdown(make_report(), max_regressions=0)
    assert "- `smoke` (2 cases): 2 cases" in markdown


def test_markdown_negative_max_rejected():
    with pytest.raises(ValueError, match="max_regressions"):
        gate_markdown(make_report(), max_regressions=-1)


def test_markdown_comparisons_table():
    report = make_report()
    report.comparisons = {
        "smoke": [
            {
                "metric": "accuracy",
                "baseline": 0.88,
                "candidate": 0.84,
                "delta": -0.04,
                "ci_low": -0.0712,
                "ci_high": -0.0088,
                "test": "mcnemar-exact",
                "p_value": 0.01234,
            },
            {"metric": "p95_latency_ms", "baseline": 700.0, "candidate": 812.6, "delta": 112.6},
        ]
    }
    markdown = gate_markdown(report)
    assert "### Compared with the baseline" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| smoke | `")]
    assert rows[0] == (
        "| smoke | `accuracy` | 0.880 | 0.840 | -0.040 | [-0.071, -0.009] "
        "| mcnemar-exact | 0.0123 |"
    )
    assert rows[1] == "| smoke | `p95_latency_ms` | 700 ms | 813 ms | +113 ms | n/a | none | n/a |"


def test_markdown_omits_empty_sections():
    report = GateReport(tier="smoke", commit=None, outcomes=[])
    markdown = gate_markdown(report)
    assert "No rule was judged." in markdown
    for heading in (
        "### Scorecards",
        "### Compared",
        "### Overrides",
        "### Warnings",
        "### Regressions",
    ):
        assert heading not in markdown


def test_markdown_code_span_with_backtick():
    report = GateReport(tier="a`b", commit=None, outcomes=[])
    assert "tier ``a`b``" in gate_markdown(report).splitlines()[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "$0.00"),
        (0.0012, "$0.0012"),
        (0.00123456, "$0.001235"),
        (0.5, "$0.50"),
        (1.2345, "$1.23"),
        (1234.5, "$1,234.50"),
        (0.00001234, "$0.00001234"),
    ],
)
def test_format_usd(value: float, expected: str):
    assert format_usd(value) == expected


def test_format_numbers():
    assert format_number(0.8125) == "0.812"
    assert format_number(1.0) == "1.000"
    assert format_number(15234.4) == "15,234"
    assert format_ms(812.6) == "813"
    assert format_value("p95_latency_ms", 1200.0) == "1,200 ms"
    assert format_value("cost_per_request_usd", 0.0042) == "$0.0042"
    assert format_value("accuracy", None) == "n/a"


# GitHub Actions


def test_annotations_one_per_failed_or_warned():
    annotations = github_annotations(make_report())
    assert len(annotations) == 2
    assert annotations[0].startswith("::error title=")
    assert annotations[1].startswith("::warning title=")


def test_annotations_escape_message_and_title():
    outcome = make_outcome("fail", rule="cost: per, request", message="100% over\r\nbudget: a, b")
    report = GateReport(tier="smoke", commit=None, outcomes=[outcome])
    (annotation,) = github_annotations(report)
    assert annotation == (
        "::error title=evalgauge gate%3A cost%3A per%2C request [smoke]"
        "::100%25 over%0D%0Abudget: a, b"
    )


def test_annotations_none_when_passed():
    report = GateReport(
        tier="smoke",
        commit=None,
        outcomes=[
            make_outcome("pass"),
            make_outcome("overridden", override=OVERRIDE),
            make_outcome("skipped"),
        ],
    )
    assert github_annotations(report) == []


def test_step_summary_appends(tmp_path: Path):
    summary = tmp_path / "summary.md"
    summary.write_text("# Earlier step\n", encoding="utf-8")
    environ = {"GITHUB_STEP_SUMMARY": str(summary)}
    assert write_step_summary("**Gate passed**", environ) is True
    assert write_step_summary("second\n", environ) is True
    assert summary.read_text(encoding="utf-8") == "# Earlier step\n**Gate passed**\nsecond\n"


def test_step_summary_creates_file(tmp_path: Path):
    summary = tmp_path / "new.md"
    assert write_step_summary("text – ünïcode", {"GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.read_text(encoding="utf-8") == "text – ünïcode\n"


def test_step_summary_unset(tmp_path: Path):
    assert write_step_summary("text", {}) is False
    assert write_step_summary("text", {"GITHUB_STEP_SUMMARY": ""}) is False
    assert list(tmp_path.iterdir()) == []

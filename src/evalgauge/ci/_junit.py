"""JUnit XML for CI test reports: one test case per gate rule and, optionally, per case verdict.

The layout is the one GitHub and GitLab test reports read: `<testsuites>` contains
`<testsuite>` elements, which contain `<testcase>` elements with an optional `<failure>`,
`<error>`, `<skipped>` or `<system-out>` child.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from evalgauge.ci._markdown import format_value
from evalgauge.gate import CaseVerdict, GateReport, RuleOutcome

GATE_SUITE = "evalgauge.gate"
SUITE_PREFIX = "evalgauge."

# XML 1.0 allows only tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD and U+10000-U+10FFFF.
# ElementTree escapes markup but writes any other character unchanged, which leaves a file
# no XML parser accepts, so every name and message goes through `_xml_text`.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _XML_FORBIDDEN.sub("", text)


@dataclass(slots=True)
class _SuiteCounts:
    element: ET.Element
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0

    def finish(self) -> None:
        """Write the counts onto the element, after its name."""
        self.element.set("tests", str(self.tests))
        self.element.set("failures", str(self.failures))
        self.element.set("errors", str(self.errors))
        self.element.set("skipped", str(self.skipped))
        self.element.set("time", f"{self.seconds:.3f}")


def _new_suite(name: str) -> _SuiteCounts:
    return _SuiteCounts(ET.Element("testsuite", name=_xml_text(name)))


def _rule_details(outcome: RuleOutcome) -> str:
    lines = [
        f"rule: {outcome.text}",
        f"suite: {outcome.suite}",
        f"severity: {outcome.severity}",
        f"observed ({outcome.basis}): {format_value(outcome.metric, outcome.observed)}",
        f"threshold: {outcome.op} {format_value(outcome.metric, outcome.threshold)}",
        f"point estimate: {format_value(outcome.metric, outcome.point)}",
    ]
    return _xml_text("\n".join(lines))


def _override_message(outcome: RuleOutcome) -> str:
    override = outcome.override
    if override is None:
        return f"overridden: {outcome.message}"
    return (
        f"overridden by {override.approver} until {override.expires.isoformat()}: {override.reason}"
    )


def _add_rule(suite: _SuiteCounts, outcome: RuleOutcome) -> None:
    case = ET.SubElement(
        suite.element,
        "testcase",
        classname=GATE_SUITE,
        name=_xml_text(f"{outcome.rule} [{outcome.suite}]"),
    )
    suite.tests += 1
    message = _xml_text(outcome.message)
    if outcome.status == "fail":
        failure = ET.SubElement(case, "failure", message=message, type=outcome.severity)
        failure.text = _rule_details(outcome)
        suite.failures += 1
    elif outcome.status == "warn":
        # A soft rule must not fail the CI job, so its warning is output, not a failure.
        output = ET.SubElement(case, "system-out")
        output.text = f"warning (soft rule): {message}\n{_rule_details(outcome)}"
    elif outcome.status == "overridden":
        ET.SubElement(case, "skipped", message=_xml_text(_override_message(outcome)))
        suite.skipped += 1
    elif outcome.status == "skipped":
        ET.SubElement(case, "skipped", message=message)
        suite.skipped += 1


def _add_case(suite: _SuiteCounts, verdict: CaseVerdict) -> None:
    case = ET.SubElement(
        suite.element,
        "testcase",
        classname=_xml_text(SUITE_PREFIX + verdict.suite),
        name=_xml_text(f"{verdict.case_id} [{verdict.scorer}]"),
    )
    latency = verdict.latency_ms
    if latency is not None and math.isfinite(latency) and latency >= 0:
        seconds = latency / 1000
        case.set("time", f"{seconds:.3f}")
        suite.seconds += seconds
    suite.tests += 1
    if verdict.passed is False:
        ET.SubElement(case, "failure", message=_xml_text(verdict.message or "failed"))
        suite.failures += 1
    elif verdict.passed is None:
        ET.SubElement(case, "error", message=_xml_text(verdict.message or "errored"))
        suite.errors += 1


def junit_xml(report: GateReport, cases: Iterable[CaseVerdict] | None = None) -> str:
    """Render the gate's decision, and optionally every case verdict, as JUnit XML.

    The `evalgauge.gate` test suite has one test case per rule outcome: a failed rule is a
    `<failure>`, an overridden or skipped rule is `<skipped>`, and a warned (soft) rule
    passes with the warning in `<system-out>`. Each suite of the report gets an
    `evalgauge.<suite>` test suite, holding its case verdicts when `cases` is given. `cases`
    is read once, so a generator works. Returns the document with an XML declaration that
    names UTF-8, so write it with that encoding.
    """
    gate = _new_suite(GATE_SUITE)
    for outcome in report.outcomes:
        _add_rule(gate, outcome)
    if report.warnings:
        output = ET.SubElement(gate.element, "system-out")
        output.text = _xml_text("\n".join(report.warnings))

    suites: dict[str, _SuiteCounts] = {}
    names = [
        *report.scorecards,
        *(outcome.suite for outcome in report.outcomes),
        *report.regressions,
    ]
    for name in names:
        if name not in suites:
            suites[name] = _new_suite(SUITE_PREFIX + name)
    for verdict in cases or ():
        suite = suites.get(verdict.suite)
        if suite is None:
            suite = suites[verdict.suite] = _new_suite(SUITE_PREFIX + verdict.suite)
        _add_case(suite, verdict)

    # NOTE: Jenkins' junit-10.xsd (xunit plugin) declares no `skipped` on `<testsuites>`, so a
    # validator using that schema rejects the root's `skipped`. The rest validates against it.
    root = ET.Element("testsuites", name="evalgauge")
    totals = _SuiteCounts(root)
    for counts in [gate, *suites.values()]:
        counts.finish()
        root.append(counts.element)
        totals.tests += counts.tests
        totals.failures += counts.failures
        totals.errors += counts.errors
        totals.skipped += counts.skipped
        totals.seconds += counts.seconds
    totals.finish()
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'

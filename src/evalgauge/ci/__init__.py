"""CI output of the gate: JUnit XML, Markdown summaries and GitHub Actions annotations."""

from evalgauge.ci._github import github_annotations, write_step_summary
from evalgauge.ci._junit import junit_xml
from evalgauge.ci._markdown import gate_markdown

__all__ = ["gate_markdown", "github_annotations", "junit_xml", "write_step_summary"]

"""Targets: what produces the output of a case."""

from evalgauge.targets._base import Target, TargetOutput
from evalgauge.targets._callable import CallableTarget, load_callable
from evalgauge.targets._chat import ChatTarget
from evalgauge.targets._http import HttpTarget, extract_path
from evalgauge.targets._recorded import RecordedTarget, RecordedUsageFields

__all__ = [
    "CallableTarget",
    "ChatTarget",
    "HttpTarget",
    "RecordedTarget",
    "RecordedUsageFields",
    "Target",
    "TargetOutput",
    "extract_path",
    "load_callable",
]

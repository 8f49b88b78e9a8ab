"""Tool-call scoring: tool definitions from real endpoints, decoding, and the checks.

The checks are reported apart, per case and per tool: `schema` (a known tool with valid
arguments), `arguments` (BFCL's AST matching against possible answers, in `bfcl` or
`default` mode), `sequence` (order, missing and extra calls), `state` (the calls run against
a stateful backend) and `relevance` (a call only when one is due).
"""

from evalgauge.scorers.toolcalls._ast_check import CaseVerdict, check_case
from evalgauge.scorers.toolcalls._callables import specs_from_python
from evalgauge.scorers.toolcalls._check_scorers import (
    ToolSchemaScorer,
    ToolSequenceScorer,
    ToolStateScorer,
)
from evalgauge.scorers.toolcalls._decode import Decoded, Mode, decode_output
from evalgauge.scorers.toolcalls._decode_source import decode_source_calls
from evalgauge.scorers.toolcalls._dialect import bfcl_to_json_schema
from evalgauge.scorers.toolcalls._expected import ExpectedCase, compile_case
from evalgauge.scorers.toolcalls._model import CheckOutcome, ErrorCategory, ToolCall, ToolSpec
from evalgauge.scorers.toolcalls._openapi import specs_from_openapi
from evalgauge.scorers.toolcalls._report import build_scorecard
from evalgauge.scorers.toolcalls._schema_check import SchemaChecker
from evalgauge.scorers.toolcalls._scorer import ToolCallScorer
from evalgauge.scorers.toolcalls._sequence import check_sequence, parse_expectation
from evalgauge.scorers.toolcalls._specs import load_tool_specs
from evalgauge.scorers.toolcalls._state import PythonClassBackend, StateBackend
from evalgauge.scorers.toolcalls._state_config import state_backend_from_config
from evalgauge.scorers.toolcalls._state_http import HttpServiceBackend

__all__ = [
    "CaseVerdict",
    "CheckOutcome",
    "Decoded",
    "ErrorCategory",
    "ExpectedCase",
    "HttpServiceBackend",
    "Mode",
    "PythonClassBackend",
    "SchemaChecker",
    "StateBackend",
    "ToolCall",
    "ToolCallScorer",
    "ToolSchemaScorer",
    "ToolSequenceScorer",
    "ToolSpec",
    "ToolStateScorer",
    "bfcl_to_json_schema",
    "build_scorecard",
    "check_case",
    "check_sequence",
    "compile_case",
    "decode_output",
    "decode_source_calls",
    "load_tool_specs",
    "parse_expectation",
    "specs_from_openapi",
    "specs_from_python",
    "state_backend_from_config",
]

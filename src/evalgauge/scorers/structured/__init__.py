"""Structured-output scoring: parse rate (strict and by repair), schema validity, field accuracy.

`parse_json` reads one reply, `build_schema_check` compiles a JSON Schema or pydantic model,
`FieldPlan` compares fields with gold, and `StructuredEvaluator` runs all three on a set of
outputs. `compare_variants` scores the same cases under several output formats and reports
the paired differences.
"""

from evalgauge.scorers.structured._comparators import COMPARATOR_NAMES
from evalgauge.scorers.structured._evaluate import (
    RecordResult,
    SetAccumulator,
    StructuredEvaluator,
)
from evalgauge.scorers.structured._fieldconfig import (
    FieldConfig,
    load_field_config,
    parse_field_config,
)
from evalgauge.scorers.structured._fields import FieldPlan, FieldTally, RecordFields
from evalgauge.scorers.structured._files import Fields, SetRun, read_gold, score_file
from evalgauge.scorers.structured._parse import REPAIR_KINDS, ParseResult, parse_json
from evalgauge.scorers.structured._schema import (
    JsonSchemaCheck,
    PydanticCheck,
    SchemaCheck,
    Violation,
    build_schema_check,
)
from evalgauge.scorers.structured._scorers import JsonFields, JsonParse, JsonSchema
from evalgauge.scorers.structured._variants import Variant, compare_variants, parse_variant

__all__ = [
    "COMPARATOR_NAMES",
    "REPAIR_KINDS",
    "FieldConfig",
    "FieldPlan",
    "FieldTally",
    "Fields",
    "JsonFields",
    "JsonParse",
    "JsonSchema",
    "JsonSchemaCheck",
    "ParseResult",
    "PydanticCheck",
    "RecordFields",
    "RecordResult",
    "SchemaCheck",
    "SetAccumulator",
    "SetRun",
    "StructuredEvaluator",
    "Variant",
    "Violation",
    "build_schema_check",
    "compare_variants",
    "load_field_config",
    "parse_field_config",
    "parse_json",
    "parse_variant",
    "read_gold",
    "score_file",
]

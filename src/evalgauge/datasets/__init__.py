"""Load evaluation cases from JSONL, JSON, CSV and TSV files.

`FieldMapping` maps the fields of a row onto a case's inputs, output, label, id and
expected output. `scan_dataset` validates a file in one streaming pass and returns its
counts and content version. `iter_cases` streams the cases for a run.
"""

from evalgauge.datasets._load import DatasetInfo, case_fingerprint, iter_cases, scan_dataset
from evalgauge.datasets._mapping import DEFAULT_FAIL_WORDS, DEFAULT_PASS_WORDS, FieldMapping
from evalgauge.datasets._readers import EXTENSIONS, FORMATS

__all__ = [
    "DEFAULT_FAIL_WORDS",
    "DEFAULT_PASS_WORDS",
    "EXTENSIONS",
    "FORMATS",
    "DatasetInfo",
    "FieldMapping",
    "case_fingerprint",
    "iter_cases",
    "scan_dataset",
]

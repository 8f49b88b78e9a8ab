"""evalgauge's `bfcl` mode against the reference checker of bfcl-eval 2026.3.23.

The reference is installed without its dependencies (provider SDKs, torch) into a cached
virtualenv at `.evalgauge-cache/bfcl-venv`, with the few packages its AST checker imports,
and runs in a subprocess on all 1,240 BFCL v1 outputs of each of two models.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from evalgauge.scorers.toolcalls._ast_check import check_case
from evalgauge.scorers.toolcalls._bfcl_data import load_answers, load_questions, load_results
from evalgauge.scorers.toolcalls._bfcl_run import compile_question, score_results
from evalgauge.scorers.toolcalls._decode import Decoded
from evalgauge.scorers.toolcalls._expected import ExpectedCase
from evalgauge.scorers.toolcalls._model import ToolCall
from tests._env import require_file, shared_data_dir, skip_or_fail
from tests.toolcalls._bfcl_expand import PERTURBATIONS, first_call, perturb, value_variants

BFCL_EVAL_VERSION = "2026.3.23"
REFERENCE_DEPENDENCIES = [
    "tree_sitter==0.21.3",
    "tree-sitter-java==0.21.0",
    "tree-sitter-javascript==0.21.4",
    "tenacity",
    "filelock",
    "pydantic",
    "requests",
    "tqdm",
    "overrides",
    "python-dotenv",
]
REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".evalgauge-cache" / "bfcl-venv"
REFERENCE_SCRIPT = Path(__file__).with_name("_bfcl_reference.py")
V4_CATEGORIES = [
    "simple_python",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_parallel",
    "live_parallel_multiple",
]


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def _installed_version() -> str | None:
    if not _venv_python().exists():
        return None
    probe = "import importlib.metadata as m; print(m.version('bfcl-eval'))"
    done = subprocess.run(
        [str(_venv_python()), "-c", probe], capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip() if done.returncode == 0 else None


def _install_reference() -> None:
    steps = [
        [sys.executable, "-m", "venv", str(VENV)],
        [str(_venv_python()), "-m", "pip", "install", "-q", "--no-deps",
         f"bfcl-eval=={BFCL_EVAL_VERSION}"],
        [str(_venv_python()), "-m", "pip", "install", "-q", *REFERENCE_DEPENDENCIES],
    ]  # fmt: skip
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            skip_or_fail(
                f"cannot install bfcl-eval {BFCL_EVAL_VERSION} into {VENV}: "
                f"{' '.join(step[:4])} failed: {done.stderr.strip()[-400:]}"
            )


@pytest.fixture(scope="module")
def reference_python() -> Path:
    if _installed_version() != BFCL_EVAL_VERSION:
        _install_reference()
    if _installed_version() != BFCL_EVAL_VERSION:
        skip_or_fail(f"bfcl-eval {BFCL_EVAL_VERSION} is not importable from {VENV}")
    return _venv_python()


@pytest.fixture(scope="module")
def v1_dir() -> Path:
    return require_file(shared_data_dir() / "bfcl-v1-model-outputs")


@pytest.fixture(scope="module")
def reference_verdicts(
    reference_python: Path, v1_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bfcl") / "verdicts.json"
    done = subprocess.run(
        [str(reference_python), str(REFERENCE_SCRIPT), str(v1_dir), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    verdicts: dict[str, dict[str, Any]] = json.loads(out.read_text())
    return verdicts


def _differences(v1_dir: Path, model: str, reference: dict[str, Any]) -> list[str]:
    questions = load_questions(v1_dir / "question")
    answers = load_answers(v1_dir / "possible_answer")
    results = load_results(v1_dir / "result" / model)
    differences = []
    for scored in score_results(questions, answers, results.values(), mode="bfcl"):
        expected = reference[scored.case_id]
        outcome = scored.verdict.outcome if scored.verdict else None
        ours = outcome.reference_error if outcome else scored.error
        theirs = expected["error_type"] if not expected["valid"] else None
        crashed = (theirs or "").startswith("checker_crash")
        same_error = scored.passed or ours == theirs or (crashed and ours == "checker_crash")
        if scored.passed != expected["valid"] or not same_error:
            differences.append(f"{scored.case_id}: reference {theirs}, evalgauge {ours}")
    return differences


@pytest.mark.parametrize("model", ["gpt-4o-2024-08-06-FC", "gpt-4o-mini-2024-07-18"])
def test_bfcl_mode_matches_reference(
    model: str, v1_dir: Path, reference_verdicts: dict[str, dict[str, Any]]
) -> None:
    reference = reference_verdicts[model]
    assert len(reference) == 1240
    differences = _differences(v1_dir, model, reference)
    assert differences == [], f"{len(differences)} verdicts differ:\n" + "\n".join(differences)


def test_reference_counts_failures(reference_verdicts: dict[str, dict[str, Any]]) -> None:
    # Guards against a reference run that passes everything, which would match trivially.
    for model, verdicts in reference_verdicts.items():
        failed = sum(not verdict["valid"] for verdict in verdicts.values())
        assert 50 < failed < 400, f"{model}: {failed} failures"


LITERALS = [
    ("java", "123", "integer", None),
    ("java", "-7", "short", None),
    ("java", "12.5", "integer", None),
    ("java", "3.14f", "float", None),
    ("java", "3.14", "float", None),
    ("java", "3e3F", "float", None),
    ("java", "2.5e-2", "double", None),
    ("java", "123L", "long", None),
    ("java", "123", "long", None),
    ("java", "true", "boolean", None),
    ("java", "True", "boolean", None),
    ("java", "'a'", "char", None),
    ("java", '"hello"', "String", None),
    ("java", "new int[]{1, 2, 3}", "Array", "integer"),
    ("java", 'new String[]{"a", "b"}', "Array", "String"),
    ("java", 'new Object[]{1, "abc", true}', "Array", None),
    ("java", "new int[]{}", "Array", "integer"),
    ("java", 'new ArrayList<>(Arrays.asList("a", "b"))', "ArrayList", "String"),
    ("java", "new ArrayList<>(Arrays.asList(1, 2))", "ArrayList", "integer"),
    ("java", 'new ArrayList<String>() {{ add("x"); add("y"); }}', "ArrayList", "String"),
    ("java", "new ArrayList<>()", "ArrayList", None),
    ("java", "Arrays.asList(1, 2)", "ArrayList", None),
    ("java", 'new HashMap<String, String>() {{ put("k", "v"); put("n", 5); }}', "HashMap", None),
    ("java", "new HashMap<>()", "HashMap", None),
    ("java", "5", "any", None),
    ("javascript", '"hi"', "String", None),
    ("javascript", "'hi'", "String", None),
    ("javascript", "hi", "String", None),
    ("javascript", "42", "integer", None),
    ("javascript", "4.2", "float", None),
    ("javascript", "4e2", "float", None),
    ("javascript", "42n", "Bigint", None),
    ("javascript", "false", "Boolean", None),
    ("javascript", "[1, 2, 3]", "array", "integer"),
    ("javascript", "['a', 'b']", "array", "String"),
    ("javascript", "[1, 'a', true]", "array", None),
    ("javascript", "[[1, 2], [3, 4]]", "array", None),
    ("javascript", "new Array(1, 2)", "array", None),
    ("javascript", "[]", "array", "integer"),
    ("javascript", "{a: 1, b: 'x'}", "dict", None),
    ("javascript", "{'k': [1, 2], 'd': {x: 1}}", "dict", None),
    ("javascript", "{}", "dict", None),
    ("javascript", "undefinedValue", "any", None),
]

_CONVERT_SCRIPT = """
import json, sys
from bfcl_eval.eval_checker.ast_eval.type_convertor.java_type_converter import java_type_converter
from bfcl_eval.eval_checker.ast_eval.type_convertor.js_type_converter import js_type_converter
out = []
for language, literal, doc_type, item_type in json.loads(sys.stdin.read()):
    convert = java_type_converter if language == "java" else js_type_converter
    args = (literal, doc_type, item_type) if item_type else (literal, doc_type)
    out.append(repr(convert(*args)))
print(json.dumps(out))
"""


def test_literal_conversions_match(reference_python: Path) -> None:
    from evalgauge.scorers.toolcalls._bfcl_types import convert_java, convert_js

    done = subprocess.run(
        [str(reference_python), "-c", _CONVERT_SCRIPT],
        input=json.dumps(LITERALS),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    theirs = json.loads(done.stdout)
    differences = []
    for (language, literal, doc_type, item_type), expected in zip(LITERALS, theirs, strict=True):
        convert = convert_java if language == "java" else convert_js
        ours = repr(convert(literal, doc_type, item_type))
        if ours != expected:
            differences.append(
                f"{language} {doc_type} {literal!r}: reference {expected}, ours {ours}"
            )
    assert differences == []


def _v4_items() -> list[tuple[ExpectedCase, list[ToolCall], dict[str, Any]]]:
    """BFCL v4 answers as calls, perturbed and reordered, each with the reference's input."""
    root = require_file(shared_data_dir() / "bfcl-v4")
    items = []
    for category in V4_CATEGORIES:
        questions = load_questions(root / "question" / f"BFCL_v4_{category}.json")
        answers = load_answers(root / "possible_answer" / f"BFCL_v4_{category}.json")
        for case_id, question in questions.items():
            for fc in (False, True):
                case = compile_question(question, answers[case_id], underscore_to_dot=fc)
                model = "gpt-4o-2024-08-06-FC" if fc else "gorilla-openfunctions-v2"
                reference = {
                    "functions": question.docs,
                    "truth": answers[case_id],
                    "category": category,
                    "language": "python",
                    "model": model,
                }
                for calls in _variants(case):
                    items.append((case, calls, reference))
    return items


def _variants(case: ExpectedCase) -> list[list[ToolCall]]:
    first = [first_call(call) for call in case.calls]
    variants = [first, first[::-1], first[1:]]
    for kind in PERTURBATIONS:
        perturbed = perturb(case, kind)
        if perturbed is not None:
            variants.append(perturbed[0])
    for variant in value_variants(case.calls[0])[1:]:
        variants.append([variant, *first[1:]])
    return variants


def _ours(case: ExpectedCase, calls: list[ToolCall]) -> dict[str, Any]:
    outcome = check_case(case, Decoded(tuple(calls)), mode="bfcl").outcome
    return {"valid": outcome.passed, "error_type": outcome.reference_error}


def _run_items(reference_python: Path, payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(reference_python), str(REFERENCE_SCRIPT), "--items"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    verdicts: list[dict[str, Any]] = json.loads(done.stdout)
    return verdicts


def _compare(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    if ours["valid"] != theirs["valid"]:
        return False
    if theirs["valid"]:
        return True
    crashed = str(theirs["error_type"]).startswith("checker_crash")
    expected_error = "checker_crash" if crashed else theirs["error_type"]
    return bool(ours["error_type"] == expected_error)


def test_v4_variants_match_reference(reference_python: Path) -> None:
    items = _v4_items()
    payload = [
        {**reference, "output": [{call.name: call.arguments} for call in calls]}
        for _, calls, reference in items
    ]
    theirs = _run_items(reference_python, payload)
    differences = []
    for (case, calls, _), expected in zip(items, theirs, strict=True):
        ours = _ours(case, calls)
        if not _compare(ours, expected):
            differences.append(f"{case.case_id} {calls}: reference {expected}, ours {ours}")
    assert len(items) > 10_000
    assert sum(not verdict["valid"] for verdict in theirs) > 3_000
    assert differences == [], f"{len(differences)} differ:\n" + "\n".join(differences[:20])


def _doc(name: str, properties: dict[str, Any]) -> dict[str, Any]:
    parameters = {"type": "dict", "properties": properties, "required": ["n"]}
    return {"name": name, "description": "", "parameters": parameters}


JAVA_DOC = _doc(
    "Job.run",
    {
        "n": {"type": "long"},
        "ratio": {"type": "float"},
        "scale": {"type": "double"},
        "on": {"type": "boolean"},
        "label": {"type": "String"},
        "ids": {"type": "Array", "items": {"type": "integer"}},
        "tags": {"type": "ArrayList", "items": {"type": "String"}},
        "opts": {"type": "HashMap"},
    },
)
JAVA_TRUTH = {
    "Job.run": {
        "n": [5],
        "ratio": [1.5, ""],
        "scale": [2.0, ""],
        "on": [True, ""],
        "label": ["abc", ""],
        "ids": [[1, 2], ""],
        "tags": [["a", "b"], ""],
        "opts": [{"k": ["v"]}, ""],
    }
}
JAVA_OUTPUTS = [
    {"n": "5L"},
    {"n": "5"},
    {"n": 5},
    {"n": "6L"},
    {"n": "5L", "ratio": "1.5f"},
    {"n": "5L", "ratio": "1.5"},
    {"n": "5L", "scale": "2.0"},
    {"n": "5L", "on": "true"},
    {"n": "5L", "on": "yes"},
    {"n": "5L", "label": "abc"},
    {"n": "5L", "label": '"abc"'},
    {"n": "5L", "ids": "new int[]{1, 2}"},
    {"n": "5L", "ids": "new int[]{2, 1}"},
    {"n": "5L", "ids": "{1, 2}"},
    {"n": "5L", "tags": 'new ArrayList<>(Arrays.asList("a", "b"))'},
    {"n": "5L", "tags": 'new ArrayList<>(Arrays.asList("b"))'},
    {"n": "5L", "opts": 'new HashMap<String, String>() {{ put("k", "v"); }}'},
    {"n": "5L", "opts": 'new HashMap<String, String>() {{ put("k", "w"); }}'},
    {"n": "5L", "extra": "1"},
]
JS_DOC = _doc(
    "run",
    {
        "n": {"type": "integer"},
        "f": {"type": "float"},
        "big": {"type": "Bigint"},
        "ok": {"type": "Boolean"},
        "s": {"type": "String"},
        "arr": {"type": "array", "items": {"type": "String"}},
        "d": {"type": "dict"},
    },
)
JS_TRUTH = {
    "run": {
        "n": [3],
        "f": [0.5, ""],
        "big": [10, ""],
        "ok": [False, ""],
        "s": ["hello world", ""],
        "arr": [["x", "y"], ""],
        "d": [{"a": [1], "b": ["z"]}, ""],
    }
}
JS_OUTPUTS = [
    {"n": "3"},
    {"n": "3.0"},
    {"n": 3},
    {"n": "3", "f": "0.5"},
    {"n": "3", "big": "10n"},
    {"n": "3", "big": "10"},
    {"n": "3", "ok": "false"},
    {"n": "3", "s": "'Hello World'"},
    {"n": "3", "s": "hello-world"},
    {"n": "3", "arr": "['x', 'y']"},
    {"n": "3", "arr": "['y', 'x']"},
    {"n": "3", "d": "{a: 1, b: 'z'}"},
    {"n": "3", "d": "{a: 2}"},
]


@pytest.mark.parametrize(
    ("language", "doc", "truth", "outputs"),
    [("java", JAVA_DOC, JAVA_TRUTH, JAVA_OUTPUTS), ("javascript", JS_DOC, JS_TRUTH, JS_OUTPUTS)],
)
def test_java_js_checks_match(
    reference_python: Path,
    language: str,
    doc: dict[str, Any],
    truth: dict[str, Any],
    outputs: list[dict[str, Any]],
) -> None:
    from evalgauge.scorers.toolcalls._expected import compile_case

    name = doc["name"]
    payload = [
        {
            "functions": [doc],
            "truth": [truth],
            "output": [{name: arguments}],
            "category": f"simple_{language}",
            "language": language,
            "model": "gorilla-openfunctions-v2",
        }
        for arguments in outputs
    ]
    theirs = _run_items(reference_python, payload)
    case = compile_case("c", f"simple_{language}", [doc], [truth], language=language)  # type: ignore[arg-type]
    differences = []
    for arguments, expected in zip(outputs, theirs, strict=True):
        ours = _ours(case, [ToolCall(name, arguments)])
        if not _compare(ours, expected):
            differences.append(f"{arguments}: reference {expected}, ours {ours}")
    assert 3 < sum(not verdict["valid"] for verdict in theirs) < len(outputs) - 3
    assert differences == []


SOURCE_CALLS = [
    ("java", '[Foo.bar(limit="5L")]'),
    ("java", '[Foo.bar(limit=5L, name="abc", flag=true)]'),
    ("java", "[Geometry.create(controller=mapController, parent=mapArea)]"),
    ("java", "[Sys.run(ids=new int[]{1, 2, 3})]"),
    ("java", '[Sys.run(tags=new ArrayList<>(Arrays.asList("a", "b")))]'),
    ("java", '[Sys.run(opts=new HashMap<String, String>() {{ put("k", "v"); }})]'),
    ("java", "[Sys.run(c='x', d=3.5f, e=2.0)]"),
    ("java", "[Sys.run(x=a.b.c)]"),
    ("java", "[Sys.run(x=Foo.class)]"),
    ("java", "[Sys.run(mapController, x=1)]"),
    ("java", "[Sys.run(5, x=1)]"),
    ("java", "[a(x=1), b(y=2)]"),
    ("java", "[Sys.run(x=1]"),
    ("java", "Just text"),
    ("java", "[Sys.run(x=obj.method(1, 2))]"),
    ("java", '[Sys.run(x="a, b")]'),
    ("java", "[Sys.run(x=-5)]"),
    ("java", '[Sys.run(x=new String[]{"a", "b"})]'),
    ("javascript", "[run(n=3, s='hello')]"),
    ("javascript", "[run(n=\"3\", arr=['x', 'y'])]"),
    ("javascript", "[run(d={a: 1, b: 'z'})]"),
    ("javascript", "[run(cb=function() { return 1; })]"),
    ("javascript", "[run(x=a.b)]"),
    ("javascript", "[run(value, n=1)]"),
    ("javascript", "[run(n=1), other(m=2)]"),
    ("javascript", "[run(n=1]"),
    ("javascript", "[run(big=10n, ok=false)]"),
    ("javascript", "[obj.method(n=1)]"),
    ("javascript", "[run(x=new Array(1, 2))]"),
    ("javascript", "[run(x=`tmpl`)]"),
    ("javascript", "plain answer"),
]

_DECODE_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import _bfcl_reference  # noqa: F401 - replaces the model config before bfcl_eval imports it
from bfcl_eval.constants.enums import ReturnFormat
from bfcl_eval.model_handler.utils import default_decode_ast_prompting
from bfcl_eval.utils import is_function_calling_format_output
out = []
for language, text in json.loads(sys.stdin.read()):
    fmt = ReturnFormat.JAVA if language == "java" else ReturnFormat.JAVASCRIPT
    try:
        decoded = default_decode_ast_prompting(text, fmt)
    except Exception:
        out.append("ast_decoder:decoder_failed")
        continue
    if not is_function_calling_format_output(decoded):
        out.append("ast_decoder:decoder_wrong_output_format")
        continue
    out.append([{n: {str(k): v for k, v in a.items()} for n, a in c.items()} for c in decoded])
print(json.dumps(out))
"""


def test_source_decoding_matches(reference_python: Path) -> None:
    from evalgauge.scorers.toolcalls._decode_source import POSITIONAL, decode_source_calls

    done = subprocess.run(
        [str(reference_python), "-c", _DECODE_SCRIPT, str(REFERENCE_SCRIPT.parent)],
        input=json.dumps(SOURCE_CALLS),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    differences = []
    for (language, text), expected in zip(SOURCE_CALLS, json.loads(done.stdout), strict=True):
        decoded = decode_source_calls(text, language, mode="bfcl")  # type: ignore[arg-type]
        ours: Any = decoded.reference_error
        if decoded.calls is not None:
            ours = [
                {c.name: {("None" if k == POSITIONAL else k): v for k, v in c.arguments.items()}}
                for c in decoded.calls
            ]
        if ours != expected:
            differences.append(f"{language} {text!r}: reference {expected}, ours {ours}")
    assert differences == []

# mypy: disable-error-code="import-not-found"
"""Score BFCL v1 model outputs with the reference checker of bfcl-eval and print the verdicts.

Run by the conformance test with the python of a virtualenv that contains `bfcl-eval` installed
without its dependencies. Usage: `python _bfcl_reference.py V1_DIR OUT_JSON [REPEAT]`, or
`python _bfcl_reference.py --items` with decoded items as JSON on stdin (see `check_items`). The
output maps `model -> id -> {"valid": bool, "error_type": str | null}`. With REPEAT, the
decode-and-check loop over all cases also runs REPEAT times and `"_seconds"` lists each run's
time (the v1 adaptation and file reading stay outside the timed loop).

The v1 files are adapted to the v4 layout here, independently of evalgauge's own loader: the
function docs become a list, and the ground truth dict becomes a list of one-call dicts with
the `_N` or ` N` suffixes of repeated functions removed. A checker that raises (a ground truth
naming a function absent from the docs) is recorded as `checker_crash:<exception type>`.
"""

from __future__ import annotations

import json
import re
import sys
import time
import types
from pathlib import Path
from typing import Any


class _ModelConfig:
    def __init__(self, underscore_to_dot: bool) -> None:
        self.underscore_to_dot = underscore_to_dot


class _ModelConfigMapping(dict):  # type: ignore[type-arg]
    """Map any model name to a config whose `underscore_to_dot` is true for `-FC` models."""

    def __missing__(self, key: str) -> _ModelConfig:
        return _ModelConfig(key.endswith("-FC"))


def _install_model_config() -> None:
    module = types.ModuleType("bfcl_eval.constants.model_config")
    module.MODEL_CONFIG_MAPPING = _ModelConfigMapping()  # type: ignore[attr-defined]
    sys.modules["bfcl_eval.constants.model_config"] = module


_install_model_config()

from bfcl_eval.constants.enums import Language, ReturnFormat  # noqa: E402
from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker  # noqa: E402
from bfcl_eval.model_handler.utils import default_decode_ast_prompting  # noqa: E402
from bfcl_eval.utils import is_empty_output, is_function_calling_format_output  # noqa: E402

CATEGORIES = ["simple", "multiple_function", "parallel_function", "parallel_multiple_function"]


def _read_jsonl(path: Path) -> dict[str, dict[str, Any]]:
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip():
            entry = json.loads(line)
            entries[entry["id"]] = entry
    return entries


def _functions(entry: dict[str, Any]) -> list[dict[str, Any]]:
    function = entry["function"]
    return function if isinstance(function, list) else [function]


def _ground_truth(answer: dict[str, Any], names: set[str]) -> list[dict[str, Any]]:
    calls = []
    for key, params in answer["ground_truth"].items():
        stripped = re.sub(r"[ _]\d+$", "", key)
        name = stripped if key not in names and stripped in names else key
        calls.append({name: params})
    return calls


def _decode(result: Any, fc: bool) -> Any:
    if fc:
        decoded = []
        for invoked in result:
            name = next(iter(invoked.keys()))
            decoded.append({name: json.loads(invoked[name])})
        return decoded
    return default_decode_ast_prompting(result, ReturnFormat.PYTHON)


def _check(functions: list[Any], result: Any, truth: Any, category: str, model: str) -> Any:
    fc = model.endswith("-FC")
    if category == "relevance":
        try:
            decoded = _decode(result, fc)
            contains_call = not is_empty_output(decoded)
        except Exception:
            contains_call = False
        if contains_call:
            return {"valid": False, "error_type": "irrelevance_error:decoder_success"}
        return {"valid": True, "error_type": None}
    try:
        decoded = _decode(result, fc)
    except Exception:
        return {"valid": False, "error_type": "ast_decoder:decoder_failed"}
    if not is_function_calling_format_output(decoded):
        return {"valid": False, "error_type": "ast_decoder:decoder_wrong_output_format"}
    try:
        verdict = ast_checker(functions, decoded, truth, Language.PYTHON, category, model)
    except Exception as exc:
        return {"valid": False, "error_type": f"checker_crash:{type(exc).__name__}"}
    return {"valid": verdict["valid"], "error_type": verdict.get("error_type")}


def _jobs(v1_dir: Path) -> list[tuple[str, str, list[Any], Any, Any, str]]:
    """(model, id, docs, result, adapted ground truth, category) for every result."""
    jobs = []
    for model_dir in sorted((v1_dir / "result").iterdir()):
        for category in [*CATEGORIES, "relevance"]:
            stem = f"gorilla_openfunctions_v1_test_{category}"
            questions = _read_jsonl(v1_dir / "question" / f"{stem}.json")
            answers = {}
            if category != "relevance":
                answers = _read_jsonl(v1_dir / "possible_answer" / f"{stem}.json")
            for case_id, row in _read_jsonl(model_dir / f"{stem}_result.json").items():
                functions = _functions(questions[case_id])
                answer = answers.get(case_id)
                truth = None
                if answer is not None:
                    truth = _ground_truth(answer, {f["name"] for f in functions})
                jobs.append((model_dir.name, case_id, functions, row["result"], truth, category))
    return jobs


def main(v1_dir: Path, out: Path, repeat: int) -> None:
    jobs = _jobs(v1_dir)
    verdicts: dict[str, Any] = {}
    for model, case_id, functions, result, truth, category in jobs:
        verdict = _check(functions, result, truth, category, model)
        verdicts.setdefault(model, {})[case_id] = verdict
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        for model, _, functions, result, truth, category in jobs:
            _check(functions, result, truth, category, model)
        seconds.append(time.perf_counter() - started)
    if repeat:
        verdicts["_seconds"] = seconds
    out.write_text(json.dumps(verdicts))


def check_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run `ast_checker` on already decoded outputs, one verdict per item.

    Each item has `functions`, `output` (`[{name: arguments}]`), `truth` (v4 ground truth),
    `category`, `language` (`python`, `java` or `javascript`) and `model`.
    """
    languages = {
        "python": Language.PYTHON,
        "java": Language.JAVA,
        "javascript": Language.JAVASCRIPT,
    }
    verdicts = []
    for item in items:
        try:
            verdict = ast_checker(
                item["functions"],
                item["output"],
                item["truth"],
                languages[item["language"]],
                item["category"],
                item["model"],
            )
        except Exception as exc:
            verdicts.append({"valid": False, "error_type": f"checker_crash:{type(exc).__name__}"})
            continue
        verdicts.append({"valid": verdict["valid"], "error_type": verdict.get("error_type")})
    return verdicts


if __name__ == "__main__":
    if sys.argv[1] == "--items":
        print(json.dumps(check_items(json.loads(sys.stdin.read()))))
    else:
        main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0)

"""`evalgauge tools eval`: score BFCL-format tool-call results and print a per-tool scorecard."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evalgauge.cli._console import consoles, write_json
from evalgauge.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

tools_app = typer.Typer(help="Score tool calls against possible answers (BFCL's AST method).")

_MODES = ("bfcl", "default")
_TOOLS_SHOWN = 20


@tools_app.command("eval")
def eval_command(
    questions: Annotated[Path, typer.Option(help="Question file or folder (JSON Lines).")],
    answers: Annotated[Path, typer.Option(help="Possible-answer file or folder.")],
    outputs: Annotated[Path, typer.Option(help="Model result file or folder.")],
    mode: Annotated[
        str, typer.Option(help="`bfcl` reproduces bfcl-eval's verdicts; `default` corrects them.")
    ] = "default",
    category: Annotated[
        str | None, typer.Option(help="Score only this category, e.g. `parallel_function`.")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Model name; by default the outputs' folder name.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Write the scorecard as JSON to stdout.")
    ] = False,
) -> None:
    """Score each output against the question and possible answer with the same `id`."""
    from evalgauge.scorers.toolcalls._bfcl_data import load_answers, load_questions, load_results
    from evalgauge.scorers.toolcalls._bfcl_run import score_results
    from evalgauge.scorers.toolcalls._report import build_scorecard

    if mode not in _MODES:
        raise UsageError(f"unknown --mode {mode!r}; use `bfcl` or `default`")
    for flag, path in (("--questions", questions), ("--answers", answers), ("--outputs", outputs)):
        if not path.exists():
            raise UsageError(f"{flag} {path}: file or folder not found")
    question_map, answer_map = load_questions(questions), load_answers(answers)
    folders = _model_folders(outputs)
    if folders and model is not None:
        raise UsageError(
            f"--outputs {outputs} contains the results of {len(folders)} models, so --model "
            "cannot name them all; pass one model's folder with --model, or drop --model"
        )
    scorecards: dict[str, dict[str, Any]] = {}
    for folder in folders or [outputs]:
        results = load_results(folder, model)
        scored = score_results(
            question_map,
            answer_map,
            results.values(),
            mode=mode,  # type: ignore[arg-type]
            category=category,
        )
        if not scored:
            raise UsageError(f"no outputs to score in {folder} (category {category or 'any'})")
        name = model or next(iter(results.values())).model
        scorecards[name] = build_scorecard(scored, mode=mode)
    out, err = consoles(json_output)
    for name, scorecard in scorecards.items():
        if len(scorecards) > 1:
            (err if json_output else out).rule(name)
        _print_scorecard(err if json_output else out, scorecard)
    if json_output:
        single = next(iter(scorecards.values()))
        write_json({"models": scorecards} if folders else single)


def _model_folders(outputs: Path) -> list[Path]:
    """Return the subfolders of `outputs` when it has one folder of result files per model.

    BFCL's `result/` folder is laid out so. The list is empty when `outputs` is a file or a
    folder of result files.
    """
    if not outputs.is_dir() or any(p.suffix in (".json", ".jsonl") for p in outputs.iterdir()):
        return []
    return sorted(p for p in outputs.iterdir() if p.is_dir())


def _percent(rate: dict[str, Any]) -> str:
    if rate["accuracy"] is None:
        return "-"
    low, high = rate["ci95"]
    return f"{rate['accuracy']:.1%} [{low:.1%}, {high:.1%}]"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _print_scorecard(console: Console, scorecard: dict[str, Any]) -> None:
    from rich.table import Table

    categories = Table(title=f"Tool calls by category ({scorecard['mode']} mode)")
    for column in ("category", "cases", "passed", "accuracy [95% CI]"):
        categories.add_column(column)
    for name, rate in scorecard["categories"].items():
        categories.add_row(name, str(rate["n"]), str(rate["passed"]), _percent(rate))
    overall = scorecard["overall"]
    categories.add_row("all", str(overall["n"]), str(overall["passed"]), _percent(overall))
    console.print(categories)

    ranked = sorted(scorecard["tools"].items(), key=_tool_rank)
    shown = ranked[:_TOOLS_SHOWN]
    title = f"Per tool: the {len(shown)} weakest of {len(ranked)} (all in --json)"
    tools = Table(title=title)
    for column in ("tool", "precision", "recall", "argument accuracy", "weakest parameter"):
        tools.add_column(column)
    for name, entry in shown:
        tools.add_row(
            name,
            _ratio(entry["precision"]),
            _ratio(entry["recall"]),
            _percent(entry["arguments"]),
            _weakest(entry["parameters"]),
        )
    console.print(tools)

    errors = ", ".join(f"{k} {v}" for k, v in scorecard["errors"].items()) or "none"
    console.print(f"errors: {errors}")
    usage = scorecard["usage"]
    if usage["latency_s"]:
        latency = usage["latency_s"]
        console.print(f"latency p50 {latency['p50']:.3f} s, p95 {latency['p95']:.3f} s")
    cost = usage["cost_usd"]
    cost_text = f"${cost:.4f}" if cost is not None else usage["cost_note"]
    console.print(
        f"tokens in {usage['input_tokens']:,}, out {usage['output_tokens']:,}; cost {cost_text}"
    )


def _tool_rank(item: tuple[str, dict[str, Any]]) -> tuple[float, str]:
    accuracy = item[1]["arguments"]["accuracy"]
    return (2.0 if accuracy is None else accuracy, item[0])


def _weakest(parameters: dict[str, Any]) -> str:
    rated = [(rate["accuracy"], name) for name, rate in parameters.items() if rate["n"]]
    if not rated:
        return "-"
    accuracy, name = min(rated)
    return f"{name} {accuracy:.0%}"

"""The `evalgauge` command: one typer app, exit codes 0, 1, 2 and 130."""

from __future__ import annotations

import gc
import logging
import os
import sys

import typer

# typer 0.29 vendors click; its usage errors derive from this class, not from click's.
from typer._click.exceptions import ClickException

from evalgauge import __version__
from evalgauge.cli.align import align_command
from evalgauge.cli.contract import contract_app
from evalgauge.cli.gate import gate_command
from evalgauge.cli.quickstart import quickstart_command
from evalgauge.cli.run import run_command
from evalgauge.cli.runs import runs_app
from evalgauge.cli.sql import sql_app
from evalgauge.cli.structured import structured_app
from evalgauge.cli.tools import tools_app

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

app = typer.Typer(
    name="evalgauge",
    help="Evals as a service contract: judges aligned with human labels, scorecards, gates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("run")(run_command)
app.command("align")(align_command)
app.command("quickstart")(quickstart_command)
app.command("gate")(gate_command)
app.add_typer(contract_app, name="contract")
app.add_typer(runs_app, name="runs")
app.add_typer(sql_app, name="sql")
app.add_typer(tools_app, name="tools")
app.add_typer(structured_app, name="structured")


def _version_callback(value: bool) -> None:
    if value:
        print(f"evalgauge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """Evals as a service contract."""


def _configure_logging() -> None:
    level = os.environ.get("EVALGAUGE_LOG_LEVEL", "WARNING").upper()
    if level not in logging.getLevelNamesMapping():
        print(
            f"error: invalid EVALGAUGE_LOG_LEVEL {level!r}; use DEBUG, INFO or WARNING",
            file=sys.stderr,
        )
        sys.exit(EXIT_USAGE)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> None:
    """Entry point: map errors to exit codes and print user errors without a traceback."""
    from evalgauge.errors import EvalgaugeError, RunInterrupted, UsageError

    _configure_logging()
    # A run allocates millions of short-lived objects. With a higher young-generation
    # threshold, and the objects of start-up frozen out of every collection, the collector's
    # time in a 100,000-case run fell from 0.4 s (12%) to 0.02 s on the benchmark machine.
    gc.set_threshold(100_000, 50, 50)
    gc.freeze()
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Abort:
        code = EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except ClickException as exc:
        exc.show()
        code = exc.exit_code
    except RunInterrupted as exc:
        print(f"{exc}", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_USAGE
    except EvalgaugeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_FAILED
    sys.exit(code if isinstance(code, int) else EXIT_OK)

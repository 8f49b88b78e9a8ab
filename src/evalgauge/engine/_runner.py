"""The run loop: a bounded pool of workers over one case iterator, with group commits.

Workers take cases from a shared iterator over the dataset, call the target, run the scorers
and append the result to a buffer. One writer task commits the whole buffer in a
single transaction as soon as the previous commit ends, so batches grow with throughput and
a killed process loses only the cases in flight and the batch being committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from evalgauge.cases import Case
from evalgauge.engine._budget import BUDGET_STOP, TIME_STOP, Budget
from evalgauge.engine._open import open_run
from evalgauge.engine._process import CaseProcessor, runs_inline
from evalgauge.engine._settings import EngineSettings
from evalgauge.scorers._base import Scorer
from evalgauge.store import CaseResult, Store
from evalgauge.targets._base import Target

if TYPE_CHECKING:
    from evalgauge.cost import PriceTable

logger = logging.getLogger(__name__)

# How long a thread waiting for the GIL waits before the running one must yield it.
_WRITER_SWITCH_INTERVAL_S = 0.0002
# Cases processed inline between two returns to the event loop (a few milliseconds).
_INLINE_CHUNK = 256


@dataclass(frozen=True)
class RunPlan:
    """Everything one run needs. `cases` is called once per pass over the dataset."""

    name: str
    cases: Callable[[], Iterable[Case]]
    n_cases: int
    dataset_version: str
    target: Target
    scorers: Sequence[Scorer]
    settings: EngineSettings = field(default_factory=EngineSettings)
    config: dict[str, Any] = field(default_factory=dict)
    dataset_path: str | None = None
    tier: str | None = None
    prices: PriceTable | None = None
    """Prices target calls; None leaves every case's cost unknown."""
    provider: str | None = None
    cost_envelope_usd: float | None = None
    time_budget_s: float | None = None
    tag_fields: tuple[str, ...] = ()
    """Metadata fields stored with each case, for slicing the scorecard."""
    cases_version: str | None = None
    """The dataset version without the recorded outputs, for comparing runs."""


@dataclass
class RunSummary:
    """Counts of one invocation of a run (a resumed run counts the skipped cases apart)."""

    run_id: str
    status: str
    n_cases: int
    processed: int = 0
    skipped: int = 0
    errored: int = 0
    elapsed_s: float = 0.0
    stop_reason: str | None = None
    spent_usd: float = 0.0

    @property
    def interrupted(self) -> bool:
        return self.status == "interrupted"

    @property
    def stopped_by_budget(self) -> bool:
        return self.status == "stopped"


class _Progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool, total: int, completed: int) -> None:
        self._bar: Any = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        console = Console(stderr=True)
        if not console.is_terminal:
            return
        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._task = self._bar.add_task("cases", total=total, completed=completed)
        self._bar.start()

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


class _Run:
    def __init__(self, plan: RunPlan, store: Store, run_id: str, skip: set[str]) -> None:
        self.plan = plan
        self.store = store
        self.run_id = run_id
        self.skip = skip
        self.settings = plan.settings
        self.scorer_ids = store.scorers(run_id)
        self.stopping = asyncio.Event()
        self.stop_reason: str | None = None
        self.buffer: list[CaseResult] = []
        self.has_results = asyncio.Event()
        self.room = asyncio.Event()
        self.room.set()
        self.processed = 0
        self.errored = 0
        self.skipped = 0
        self.budget = Budget(plan.cost_envelope_usd, plan.time_budget_s)
        self.cases = CaseProcessor(
            plan.target,
            plan.scorers,
            plan.settings,
            self.budget,
            prices=plan.prices,
            provider=plan.provider,
            tag_fields=plan.tag_fields,
        )

    def pending(self) -> Iterator[Case]:
        """Yield the cases still to run, in dataset order, until a stop is requested.

        Workers share this one generator. Because it never awaits, the event loop cannot
        switch workers inside it, so each case goes to exactly one worker.
        """
        for case in self.plan.cases():
            if self.stopping.is_set():
                return
            if case.case_id in self.skip:
                self.skipped += 1
                continue
            reason = self.budget.exhausted()
            if reason is not None:
                logger.warning(
                    "stopping: the %s is spent (%.4f USD in %d priced cases); cases run so "
                    "far are kept",
                    reason,
                    self.budget.spent_usd,
                    self.budget.priced,
                )
                self.request_stop(reason)
                return
            yield case

    async def work(self, cases: Iterator[Case]) -> None:
        for case in cases:
            self.budget.in_flight += 1
            try:
                result = await self.cases.process(case)
            finally:
                self.budget.in_flight -= 1
            await self._collect((result,))

    async def work_inline(self, cases: Iterator[Case]) -> None:
        """Process chunks of cases without awaiting, yielding to the loop between chunks.

        The writer, the progress bar and the signal handlers run between chunks, so a stop
        request takes effect within one chunk.
        """
        process = self.cases.process_now
        while chunk := list(islice(cases, _INLINE_CHUNK)):
            await self._collect([process(case) for case in chunk])
            await asyncio.sleep(0)

    async def _collect(self, results: Sequence[CaseResult]) -> None:
        self.processed += len(results)
        for result in results:
            if result.error_type is not None:
                self.errored += 1
        self.buffer.extend(results)
        self.has_results.set()
        # Back-pressure: unwritten results never pile up past a few batches.
        if len(self.buffer) >= 4 * self.settings.batch_size:
            self.room.clear()
            await self.room.wait()

    async def write(self, done: asyncio.Event, progress: _Progress) -> None:
        while True:
            if not self.buffer:
                if done.is_set():
                    return
                await self._wait_for_results(done)
                continue
            batch, self.buffer = self.buffer, []
            self.room.set()
            await self._commit(batch)
            progress.advance(len(batch))

    async def _wait_for_results(self, done: asyncio.Event) -> None:
        self.has_results.clear()
        waiter = asyncio.ensure_future(self.has_results.wait())
        finished = asyncio.ensure_future(done.wait())
        await asyncio.wait({waiter, finished}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        finished.cancel()

    async def _commit(self, batch: list[CaseResult]) -> None:
        # A thread overlaps the workers: each table's insert is one statement per batch, so
        # the database holds no GIL while it writes.
        inserts = self.store.serialize_results(batch, self.scorer_ids)
        await asyncio.to_thread(self.store.write_serialized, self.run_id, inserts)

    def request_stop(self, reason: str) -> None:
        if not self.stopping.is_set():
            self.stop_reason = reason
            self.stopping.set()


async def execute_run(
    plan: RunPlan,
    store: Store,
    *,
    resume: str | None = None,
    progress: bool = True,
    on_start: Callable[[str], None] | None = None,
) -> RunSummary:
    """Run (or resume) `plan`, persisting every case result; return the invocation's counts."""
    run_id, skip = open_run(plan, store, resume)
    if on_start is not None:
        on_start(run_id)
    state = _Run(plan, store, run_id, skip)
    state.budget.start()
    started = time.perf_counter()
    bar = _Progress(progress, plan.n_cases, len(skip))
    workers = min(plan.settings.concurrency, max(1, plan.n_cases - len(skip)))
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        with _interrupt_handler(loop, state):
            await _drive(state, workers, done, bar)
    except Exception as exc:
        # The cases stored so far stay stored; the run can be resumed once the cause is fixed.
        store.set_run_status(run_id, "failed", stop_reason=f"{type(exc).__name__}: {exc}")
        raise
    except (asyncio.CancelledError, KeyboardInterrupt):
        # Aborted from outside, or by a second Ctrl-C: the cases stored so far stay stored.
        store.set_run_status(run_id, "interrupted", stop_reason=state.stop_reason or "interrupted")
        raise
    if not state.stopping.is_set():
        status = "completed"
    elif state.stop_reason in (BUDGET_STOP, TIME_STOP):
        status = "stopped"
    else:
        status = "interrupted"
    store.set_run_status(
        run_id, status, stop_reason=state.stop_reason, finished=status == "completed"
    )
    return RunSummary(
        run_id=run_id,
        status=status,
        n_cases=plan.n_cases,
        processed=state.processed,
        skipped=state.skipped,
        errored=state.errored,
        elapsed_s=time.perf_counter() - started,
        stop_reason=state.stop_reason,
        spent_usd=state.budget.spent_usd,
    )


async def _drive(state: _Run, workers: int, done: asyncio.Event, bar: _Progress) -> None:
    """Run the workers and the writer until the cases run out, a stop, or a failure."""
    writer = asyncio.create_task(state.write(done, bar))
    cases = state.pending()
    previous_interval = sys.getswitchinterval()
    # The writer thread needs the GIL back after each statement. At the default 5 ms the
    # workers would keep it waiting for most of every batch.
    sys.setswitchinterval(_WRITER_SWITCH_INTERVAL_S)
    if runs_inline(state.plan.target, state.plan.scorers):
        # Nothing to wait for, so one task does the work of all workers.
        tasks = [state.work_inline(cases)]
    else:
        tasks = [state.work(cases) for _ in range(workers)]
    crew = asyncio.gather(*tasks)
    # A second Ctrl-C cancels this task while the crew is pending; retrieving the crew's
    # outcome keeps asyncio from logging it as an exception never retrieved.
    crew.add_done_callback(_retrieve_outcome)
    try:
        pending: set[asyncio.Future[Any]] = {writer, crew}
        await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if writer.done():
            # The writer ends early only by failing; without it the workers would wait for
            # room in the buffer forever.
            crew.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await crew
            writer.result()
        await crew
    except asyncio.CancelledError:
        if not state.stopping.is_set():
            # A Ctrl-C before the handler below was installed reaches this task as
            # asyncio.run's cancellation: stop as on a first Ctrl-C and save the cases.
            state.request_stop("interrupted")
            with contextlib.suppress(asyncio.CancelledError):
                await crew
        raise
    finally:
        done.set()
        await writer
        bar.close()
        sys.setswitchinterval(previous_interval)


def _retrieve_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


@contextlib.contextmanager
def _interrupt_handler(loop: asyncio.AbstractEventLoop, state: _Run) -> Any:
    """First Ctrl-C or SIGTERM: stop feeding, finish in-flight cases, save.

    A second Ctrl-C aborts at once; the cases already committed stay stored.
    """

    def on_sigint() -> None:
        logger.warning("interrupted: finishing the cases in flight, then saving")
        state.request_stop("interrupted")
        loop.remove_signal_handler(signal.SIGINT)

    def on_sigterm() -> None:
        logger.warning("terminated: finishing the cases in flight, then saving")
        state.request_stop("terminated")

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        installed = True
    except (NotImplementedError, RuntimeError, ValueError):
        installed = False  # not the main thread, or a platform without signal support
    try:
        yield
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGINT)
            loop.remove_signal_handler(signal.SIGTERM)

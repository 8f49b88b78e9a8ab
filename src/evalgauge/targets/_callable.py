"""A Python callable as the target, named `module:function`."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalgauge.cases import Case
from evalgauge.errors import CaseError, TargetError, TargetSetupError
from evalgauge.targets._base import TargetOutput


def load_callable(spec: str) -> Callable[..., Any]:
    """Import `module:function` (dotted attribute paths allowed), from the working directory too."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise TargetSetupError(
            f"invalid callable {spec!r}: expected MODULE:FUNCTION, for example app.llm:answer"
        )
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise TargetSetupError(f"cannot import module {module_name!r} of {spec!r}: {exc}") from exc
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise TargetSetupError(
                f"module {module_name!r} has no attribute {attribute!r}; check the name in {spec!r}"
            ) from None
    if not callable(obj):
        raise TargetSetupError(f"{spec!r} is not callable")
    return obj  # type: ignore[no-any-return]


class CallableTarget:
    """Call a sync or async function with the case inputs as keyword arguments.

    A function with one parameter that is not named after an input field gets the whole
    inputs dict. It returns the output text, or any JSON-ready value (encoded as JSON).
    Sync functions run each call on a daemon thread of its own, so a blocking call (an HTTP
    client, a database driver) neither stalls the other cases nor delays timeouts and Ctrl-C,
    and a call that never returns does not keep the process from exiting. The engine's
    concurrency bounds how many calls run at once.

    NOTE: a sync call that times out keeps its thread until it returns, because Python cannot
    stop a thread; only the case is given up.
    """

    kind = "python"
    retries = True

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.function = load_callable(spec)
        self._is_async = inspect.iscoroutinefunction(self.function)
        parameters = inspect.signature(self.function).parameters
        self._names = list(parameters)
        self._takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in parameters.values())

    def identity(self) -> dict[str, str]:
        return {"target": f"python:{self.spec}"}

    def _arguments(self, case: Case) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if self._takes_kwargs or (set(self._names) <= set(case.inputs) and self._names):
            return (), {
                k: v for k, v in case.inputs.items() if self._takes_kwargs or k in self._names
            }
        if len(self._names) == 1:
            return (case.inputs,), {}
        raise TargetError(
            f"{self.spec} takes parameters {self._names}, but case {case.case_id!r} has inputs "
            f"{list(case.inputs)}; rename the parameters or map the input fields to match"
        )

    async def generate(self, case: Case) -> TargetOutput:
        args, kwargs = self._arguments(case)
        started = time.perf_counter()
        try:
            if self._is_async:
                value = await self.function(*args, **kwargs)
            else:
                value = await self._in_thread(args, kwargs)
        except CaseError:
            raise
        except Exception as exc:
            raise TargetError(f"{self.spec} raised {type(exc).__name__}: {exc}") from exc
        latency_ms = (time.perf_counter() - started) * 1000
        if value is None:
            # As a recorded case without an output is: no output, not the text "null".
            raise TargetError(
                f"{self.spec} returned None for case {case.case_id!r}; return the output text"
            )
        if not isinstance(value, str):
            import orjson

            try:
                value = orjson.dumps(value).decode()
            except TypeError as exc:
                raise TargetError(
                    f"{self.spec} returned {type(value).__name__}, which is not text or JSON"
                ) from exc
        return TargetOutput(text=value, latency_ms=latency_ms)

    async def _in_thread(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def run() -> None:
            try:
                outcome: tuple[bool, Any] = (True, self.function(*args, **kwargs))
            except BaseException as exc:  # handed to the awaiting case, not lost in the thread
                outcome = (False, exc)
            # RuntimeError: the run ended (timed out or interrupted) and its loop closed.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, outcome)

        threading.Thread(target=run, name=f"evalgauge {self.spec}", daemon=True).start()
        return await future

    async def check_ready(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


def _settle(future: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if future.done():
        return  # the case was given up (timeout, Ctrl-C) before the call returned
    succeeded, value = outcome
    if succeeded:
        future.set_result(value)
    else:
        future.set_exception(value)

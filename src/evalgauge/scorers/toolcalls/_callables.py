"""Tools from Python callables: signatures and annotations to JSON Schema with pydantic.

`module:function` gives one tool, `module:Class` one tool per public method, and a bare module
one tool per public function defined in it. `path/to/file.py:name` loads the file without it
being on `sys.path`. Descriptions come from docstrings (Google, reST or NumPy style, parsed by
`docstring_parser`), including each parameter's own description.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, get_type_hints

import docstring_parser
from pydantic import ConfigDict, PydanticUserError, create_model

from evalgauge.errors import ConfigError
from evalgauge.scorers.toolcalls._dialect import DRAFT_2020_12
from evalgauge.scorers.toolcalls._model import ToolSpec
from evalgauge.scorers.toolcalls._specs import check_unique_names, validate_spec


def import_object(target: str) -> Any:
    """Import `module`, `module:attr.path` or `file.py:attr.path`; ConfigError if it fails."""
    module_name, _, attribute = target.partition(":")
    module = _import_module(module_name, target)
    obj: Any = module
    for part in attribute.split(".") if attribute else []:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(
                f"{target!r}: {module_name!r} has no attribute {attribute!r}; check the name"
            ) from None
    return obj


def _import_module(module_name: str, target: str) -> ModuleType:
    if not module_name:
        raise ConfigError(f"invalid Python target {target!r}: expected MODULE[:NAME]")
    if module_name.endswith(".py"):
        return _import_file(Path(module_name), target)
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r} of {target!r}: {exc}") from None


def _import_file(path: Path, target: str) -> ModuleType:
    if not path.is_file():
        raise ConfigError(f"{target!r}: file {str(path)!r} not found")
    name = f"_evalgauge_tools_{path.stem}_{abs(hash(str(path.resolve())))}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{target!r}: cannot load {str(path)!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def specs_from_python(target: str | object) -> list[ToolSpec]:
    """Tools of a `module:function`, `module:Class` or module (given by name or as the object)."""
    obj = import_object(target) if isinstance(target, str) else target
    label = target if isinstance(target, str) else getattr(obj, "__qualname__", repr(obj))
    if inspect.isclass(obj):
        functions = public_methods(obj)
    elif inspect.ismodule(obj):
        functions = [
            fn
            for name, fn in inspect.getmembers(obj, inspect.isfunction)
            if not name.startswith("_") and fn.__module__ == obj.__name__
        ]
    elif callable(obj):
        functions = [obj]
    else:
        raise ConfigError(f"{label!r} is not a function, class or module")
    if not functions:
        raise ConfigError(f"{label!r} has no public functions or methods to offer as tools")
    specs = [spec_from_callable(fn, source=f"python:{label}") for fn in functions]
    check_unique_names(specs, str(label))
    return specs


def public_methods(cls: type) -> list[Callable[..., Any]]:
    """Return the methods a model may call: public functions of the class or its bases."""
    return [
        fn for name, fn in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")
    ]


def spec_from_callable(fn: Callable[..., Any], *, source: str = "python") -> ToolSpec:
    """Describe one function (or unbound method, whose `self` is skipped) as a tool."""
    name = getattr(fn, "__name__", "")
    where = f"{source} ({name!r})"
    doc = docstring_parser.parse(inspect.getdoc(fn) or "")
    schema = _arguments_schema(fn, doc, where)
    description = "\n\n".join(
        part for part in (doc.short_description, doc.long_description) if part
    )
    spec = ToolSpec(name, schema, description, source)
    validate_spec(spec, where)
    return spec


def _arguments_schema(
    fn: Callable[..., Any], doc: docstring_parser.Docstring, where: str
) -> dict[str, Any]:
    try:
        signature = inspect.signature(fn)
        hints = get_type_hints(fn)
    except (TypeError, ValueError, NameError) as exc:
        raise ConfigError(f"{where}: cannot read the signature: {exc}") from None
    param_docs = {p.arg_name: p.description for p in doc.params if p.description}
    fields: dict[str, Any] = {}
    extra: Literal["allow", "forbid"] = "forbid"
    for index, param in enumerate(signature.parameters.values()):
        if index == 0 and param.name in ("self", "cls"):
            continue
        if param.kind is param.VAR_KEYWORD:
            extra = "allow"
            continue
        if param.kind in (param.VAR_POSITIONAL, param.POSITIONAL_ONLY):
            raise ConfigError(
                f"{where}: parameter {param.name!r} cannot be passed by keyword; "
                "tools take keyword arguments, so make it a regular parameter"
            )
        annotation = hints.get(param.name, Any)
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, default)
    try:
        model = create_model("Arguments", __config__=ConfigDict(extra=extra), **fields)
        schema: dict[str, Any] = model.model_json_schema()
    except (PydanticUserError, TypeError) as exc:
        raise ConfigError(
            f"{where}: annotations cannot be turned into JSON Schema: {exc}"
        ) from None
    schema.pop("title", None)
    for prop_name, prop in schema.get("properties", {}).items():
        prop.pop("title", None)
        if prop_name in param_docs:
            prop.setdefault("description", param_docs[prop_name])
    return {"$schema": DRAFT_2020_12, **schema}

"""BFCL's parameter types: the type tables per language, string normalisation, and the
conversion of Java and JavaScript source literals into Python values.

For Java and JavaScript, every argument a model emits is a string with a source literal
such as `"5L"` or `"new int[]{1, 2}"`. The converters below turn it into the Python value the
checker compares. A literal that does not parse stays the raw string, as in bfcl-eval 2026.3.23.
"""

from __future__ import annotations

import re
from typing import Any, Literal

Language = Literal["python", "java", "javascript"]

PYTHON_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "any": str,
}
JAVA_TYPES: dict[str, type] = {
    "byte": int,
    "short": int,
    "integer": int,
    "long": int,
    "float": float,
    "double": float,
    "boolean": bool,
    "char": str,
    "String": str,
    "any": str,
    "Array": list,
    "ArrayList": list,
    "Queue": list,
    "Stack": list,
    "Set": set,
    "HashMap": dict,
    "Hashtable": dict,
}
JS_TYPES: dict[str, type] = {
    "String": str,
    "integer": int,
    "Bigint": int,
    "float": float,
    "Boolean": bool,
    "dict": dict,
    "array": list,
    "any": str,
}
TYPE_TABLES: dict[Language, dict[str, type]] = {
    "python": PYTHON_TYPES,
    "java": JAVA_TYPES,
    "javascript": JS_TYPES,
}
NESTED_PYTHON = frozenset({"array", "tuple"})
"""Python doc types whose elements the checker type-checks, one level deep."""
NESTED_CONVERTED = frozenset({"Array", "ArrayList", "array"})
"""Java and JavaScript doc types converted element by element using `items.type`."""

_STANDARDIZE = re.compile(r"[ \,\.\/\-\_\*\^]")
_INT = re.compile(r"^-?\d+$")
_JAVA_FLOAT = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?[fF]$")
_JAVA_DOUBLE = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_JAVA_LONG = re.compile(r"^-?\d+[lL]$")
_JS_FLOAT = re.compile(r"^-?\d+(\.\d+)?$")
_JS_BIGINT = re.compile(r"^-?\d+n$")


def standardize(text: str) -> str:
    """Normalise a string as BFCL's `standardize_string` does before comparing it.

    Removes spaces and `, . / - _ * ^`, lower-cases, and turns `'` into `"`. So "April 1,
    2024" equals "april 1 2024", and also "3.5" equals "35".
    """
    return _STANDARDIZE.sub("", text).lower().replace("'", '"')


class UnsupportedType(Exception):
    """A doc type the reference converter rejects (`Set`, `Queue`, or not in the table)."""


def convert_java(value: str, doc_type: str, item_type: str | None = None) -> Any:
    """Convert a Java source literal to the value BFCL's Java converter returns."""
    # NOTE: compared with the reference on 43 literals and 32 synthetic calls only, because
    # no Java or JavaScript model outputs were available to check the converters on.
    if doc_type in ("byte", "short", "integer"):
        return int(value) if _INT.match(value) else value
    if doc_type == "float":
        return float(value[:-1]) if _JAVA_FLOAT.match(value) else value
    if doc_type == "double":
        return float(value) if _JAVA_DOUBLE.match(value) else value
    if doc_type == "long":
        return int(value[:-1]) if _JAVA_LONG.match(value) else value
    if doc_type == "boolean":
        return value == "true" if value in ("true", "false") else value
    if doc_type in ("char", "String", "any"):
        # The reference's char pattern is malformed and never matches, so a char stays as is.
        return value
    if doc_type == "Array":
        return _java_array(value, item_type)
    if doc_type == "ArrayList":
        return _java_arraylist(value, item_type)
    if doc_type == "HashMap":
        return _java_hashmap(value)
    raise UnsupportedType(f"Java type {doc_type!r} has no converter")


def _java_element(text: str, item_type: str | None) -> Any:
    if item_type in ("char", "String"):
        return text[1:-1]
    return convert_java(text, item_type) if item_type else java_literal(text)


def _java_array(value: str, item_type: str | None) -> Any:
    match = re.search(r"new\s+\w+\[\]\s*\{(.*?)\}", value)
    if match is None:
        return value
    parts = [part.strip() for part in match.group(1).split(",") if part.strip()]
    if item_type:
        return [convert_java(part, item_type) for part in parts]
    return [java_literal(part) for part in parts]


def _java_arraylist(value: str, item_type: str | None) -> Any:
    as_list = re.search(r"new\s+ArrayList<\w*>\(Arrays\.asList\((.+?)\)\)", value)
    if as_list:
        return [_java_element(part.strip(), item_type) for part in as_list.group(1).split(",")]
    added = re.search(r"new\s+ArrayList<\w*>\(\)\s*\{\{\s*(.+?)\s*\}\}", value, re.DOTALL)
    if added:
        items = re.findall(r"add\((.+?)\)", added.group(1))
        return [_java_element(item.strip(), item_type) for item in items]
    if re.search(r"new\s+ArrayList<\w*>\(\)", value):
        return []
    return value


def _java_hashmap(value: str) -> Any:
    pattern = r"new\s+HashMap<.*?>\s*\(\)\s*\{\s*\{?\s*(.*?)\s*\}?\s*\}"
    match = re.search(pattern, value, re.DOTALL)
    if match:
        puts = re.findall(r"put\(\"(.*?)\",\s*(.*?)\)", match.group(1))
        return {key: java_literal(item.strip()) for key, item in puts}
    if re.search(r"new\s+HashMap<.*?>\s*\(\)", value):
        return {}
    return value


def java_literal(text: str) -> Any:
    """Read an untyped Java literal: boolean, quoted string, long, float, int, or as is."""
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if _JAVA_LONG.match(text):
        return int(text[:-1])
    if _JAVA_FLOAT.match(text):
        return float(text[:-1])
    return _number_or_text(text)


def _number_or_text(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def convert_js(value: str, doc_type: str, item_type: str | None = None) -> Any:
    """Convert a JavaScript source literal to the value BFCL's JavaScript converter returns."""
    if doc_type == "String":
        quoted = (value.startswith('"') and value.endswith('"')) or (
            value.startswith("'") and value.endswith("'")
        )
        return value[1:-1] if quoted else value
    if doc_type == "integer":
        return int(value) if _INT.match(value) else value
    if doc_type == "float":
        return float(value) if _JS_FLOAT.match(value) else value
    if doc_type == "Bigint":
        return int(value[:-1]) if _JS_BIGINT.match(value) else value
    if doc_type == "Boolean":
        return value == "true" if value in ("true", "false") else value
    if doc_type == "any":
        return value
    if doc_type == "array":
        return _js_array(value.strip(), item_type)
    if doc_type == "dict":
        return _js_dict(value.strip())
    raise UnsupportedType(f"JavaScript type {doc_type!r} has no converter")


def _js_array(code: str, item_type: str | None) -> Any:
    nested = r"\[\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\]|\bnew\s+Array\(\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\)"
    matched = re.match(nested, code)
    if matched:
        rows = []
        for index, row in enumerate(re.findall(r"\[(.*?)\]", matched.group(0))):
            row = row.strip()
            if index == 0 and row.startswith("["):
                row = row[1:]
            rows.append([js_literal(item.strip()) for item in row.split(",")])
        return rows
    flat = re.match(r"\[(.*?)\]|\bnew\s+Array\((.*?)\)", code)
    if flat is None:
        return code
    inner = (flat.group(1) if flat.group(1) is not None else flat.group(2) or "").strip()
    items = inner.split(",") if inner else []
    if not item_type:
        return [js_literal(item.strip()) for item in items]
    try:
        return [convert_js(item.strip(), item_type) for item in items]
    except UnsupportedType:
        return code


def _js_dict(code: str) -> Any:
    if code == "{}":
        return {}
    matched = re.match(r"\{(.*?)\}", code)
    if matched is None:
        return code
    pairs = re.findall(r"([^:]+):\s*(.*?)(?:,\s*(?=[^,]+:)|$)", matched.group(1))
    result: dict[str, Any] = {}
    for key, item in pairs:
        item = item.strip()
        if item.startswith("[") and item.endswith("]"):
            result[key.strip().strip("'\"")] = _js_array(item, None)
        elif item.startswith("{") and item.endswith("}"):
            result[key.strip().strip("'\"")] = _js_dict(item)
        else:
            result[key.strip().strip("'\"")] = js_literal(item.strip("'\""))
    return result


def js_literal(text: str) -> Any:
    """Read an untyped JavaScript literal: boolean, quoted string, number, or as is."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if (text.startswith('"') and text.endswith('"')) or (
        text.startswith("'") and text.endswith("'")
    ):
        return text[1:-1]
    return _number_or_text(text)

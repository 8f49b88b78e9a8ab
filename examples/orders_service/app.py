"""The orders service over HTTP: the standard library's HTTP server on a SQLite database.

Run it with `python examples/orders_service/app.py --db orders.sqlite --port 8081`. Its routes
are those of `openapi.yaml` beside this file. Every request opens its own connection, so the
threaded server needs no locking beyond SQLite's own.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sqlite3
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open'
);
CREATE TABLE IF NOT EXISTS items (
    order_id INTEGER NOT NULL REFERENCES orders(id),
    sku TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (order_id, sku)
);
"""

RESET_SQL = [
    "DELETE FROM items",
    "DELETE FROM orders",
    "DELETE FROM sqlite_sequence WHERE name = 'orders'",
]
"""Statements that return the database to empty, with order ids starting at 1 again."""


class ServiceError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def init_db(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(SCHEMA)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=10)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys = ON")
    return db


def _order(db: sqlite3.Connection, order_id: int) -> dict[str, Any]:
    row = db.execute("SELECT id, customer, status FROM orders WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        raise ServiceError(HTTPStatus.NOT_FOUND, f"no order {order_id}")
    items = db.execute(
        "SELECT sku, quantity FROM items WHERE order_id = ? ORDER BY sku", (order_id,)
    ).fetchall()
    return {**dict(row), "items": [dict(item) for item in items]}


def _add_item(db: sqlite3.Connection, order_id: int, item: Any) -> None:
    if not isinstance(item, dict) or not isinstance(item.get("sku"), str):
        raise ServiceError(HTTPStatus.BAD_REQUEST, "an item needs a string `sku`")
    quantity = item.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise ServiceError(HTTPStatus.BAD_REQUEST, "`quantity` must be a positive integer")
    db.execute(
        "INSERT INTO items (order_id, sku, quantity) VALUES (?, ?, ?) "
        "ON CONFLICT (order_id, sku) DO UPDATE SET quantity = quantity + excluded.quantity",
        (order_id, item["sku"], quantity),
    )


def create_order(db: sqlite3.Connection, body: dict[str, Any]) -> dict[str, Any]:
    customer = body.get("customer")
    if not isinstance(customer, str) or not customer:
        raise ServiceError(HTTPStatus.BAD_REQUEST, "`customer` must be a non-empty string")
    order_id = db.execute("INSERT INTO orders (customer) VALUES (?)", (customer,)).lastrowid
    assert order_id is not None
    for item in body.get("items") or []:
        _add_item(db, order_id, item)
    return _order(db, order_id)


def add_item(db: sqlite3.Connection, order_id: int, body: dict[str, Any]) -> dict[str, Any]:
    if _order(db, order_id)["status"] != "open":
        raise ServiceError(HTTPStatus.CONFLICT, f"order {order_id} is cancelled")
    _add_item(db, order_id, body)
    return _order(db, order_id)


def cancel_order(db: sqlite3.Connection, order_id: int) -> dict[str, Any]:
    if _order(db, order_id)["status"] != "open":
        raise ServiceError(HTTPStatus.CONFLICT, f"order {order_id} is already cancelled")
    db.execute("UPDATE orders SET status = 'cancelled' WHERE id = ?", (order_id,))
    return _order(db, order_id)


def list_orders(db: sqlite3.Connection, query: dict[str, list[str]]) -> list[dict[str, Any]]:
    sql, args = "SELECT id FROM orders WHERE 1 = 1", []
    for column in ("status", "customer"):
        if column in query:
            sql += f" AND {column} = ?"
            args.append(query[column][0])
    ids = [row["id"] for row in db.execute(sql + " ORDER BY id", args)]
    return [_order(db, order_id) for order_id in ids]


logger = logging.getLogger("orders_service")

_ORDER_PATH = re.compile(r"^/orders/(\d+)(/items|/cancel)?$")


def handle(db: sqlite3.Connection, method: str, target: str, body: Any) -> tuple[int, Any]:
    """Route one request; return the status and the JSON response body."""
    url = urlsplit(target)
    if url.path == "/orders":
        if method == "POST":
            return HTTPStatus.CREATED, create_order(db, _object(body))
        if method == "GET":
            return HTTPStatus.OK, list_orders(db, parse_qs(url.query))
    match = _ORDER_PATH.match(url.path)
    if match:
        order_id, action = int(match.group(1)), match.group(2)
        if method == "GET" and action is None:
            return HTTPStatus.OK, _order(db, order_id)
        if method == "POST" and action == "/items":
            return HTTPStatus.CREATED, add_item(db, order_id, _object(body))
        if method == "POST" and action == "/cancel":
            return HTTPStatus.OK, cancel_order(db, order_id)
    raise ServiceError(HTTPStatus.NOT_FOUND, f"no route {method} {url.path}")


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ServiceError(HTTPStatus.BAD_REQUEST, "the request body must be a JSON object")
    return body


def make_server(db_path: Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Create a server bound to host:port (port 0 picks a free one); `serve_forever` runs it."""
    init_db(db_path)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._respond("GET")

        def do_POST(self) -> None:
            self._respond("POST")

        def _respond(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
                db = _connect(db_path)
                try:
                    with db:  # commits on success, rolls back on an error
                        status, payload = handle(db, method, self.path, body)
                finally:
                    db.close()
            except json.JSONDecodeError:
                status, payload = HTTPStatus.BAD_REQUEST, {"error": "invalid JSON body"}
            except ServiceError as exc:
                status, payload = exc.status, {"error": str(exc)}
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            logger.info(format, *args)  # one line per request, instead of raw stderr

    return ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("orders.sqlite"), help="SQLite file")
    parser.add_argument("--port", type=int, default=8081, help="port on 127.0.0.1")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    server = make_server(args.db, port=args.port)
    print(f"orders service on http://127.0.0.1:{server.server_port}, database {args.db}")
    server.serve_forever()


if __name__ == "__main__":
    main()

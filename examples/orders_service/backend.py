"""The orders service as a Python class: the same operations as the HTTP app, in memory.

Used as a state-check backend (`examples/orders_service/backend.py:OrdersBackend`): each case
gets a fresh instance, the model's calls and the expected calls run on separate instances, and
the public attribute `orders` is compared. Errors are raised as exceptions, which the state
check records as the call's result.
"""

from __future__ import annotations

from typing import Any, Literal


class OrderError(Exception):
    """An operation the service rejects (unknown order, cancelled order, bad item)."""


class OrdersBackend:
    """Orders with items, kept in a list ordered by id; items are ordered by SKU."""

    def __init__(self, orders: list[dict[str, Any]] | None = None) -> None:
        self.orders: list[dict[str, Any]] = [dict(order) for order in orders or []]
        self._next_id = max((order["id"] for order in self.orders), default=0) + 1

    def create_order(
        self, customer: str, items: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Create an open order for a customer, optionally with its first items.

        Args:
            customer: The customer's email address.
            items: Items to add, each `{"sku": ..., "quantity": ...}`.
        """
        if not customer:
            raise OrderError("customer must be a non-empty string")
        order: dict[str, Any] = {
            "id": self._next_id,
            "customer": customer,
            "status": "open",
            "items": [],
        }
        self._next_id += 1
        self.orders.append(order)
        for item in items or []:
            self._add(order, item["sku"], item["quantity"])
        return order

    def add_item(self, order_id: int, sku: str, quantity: int) -> dict[str, Any]:
        """Add a quantity of one product to an open order.

        Args:
            order_id: The order's id, as returned by create_order.
            sku: Product code, two capital letters, a hyphen and three digits (e.g. BK-101).
            quantity: How many units to add, 1 to 100.
        """
        order = self.get_order(order_id)
        if order["status"] != "open":
            raise OrderError(f"order {order_id} is cancelled")
        self._add(order, sku, quantity)
        return order

    def get_order(self, order_id: int) -> dict[str, Any]:
        """Get one order with its items.

        Args:
            order_id: The order's id.
        """
        for order in self.orders:
            if order["id"] == order_id:
                return order
        raise OrderError(f"no order {order_id}")

    def cancel_order(self, order_id: int) -> dict[str, Any]:
        """Cancel an open order.

        Args:
            order_id: The order's id.
        """
        order = self.get_order(order_id)
        if order["status"] != "open":
            raise OrderError(f"order {order_id} is already cancelled")
        order["status"] = "cancelled"
        return order

    def list_orders(
        self, status: Literal["open", "cancelled"] | None = None, customer: str | None = None
    ) -> list[dict[str, Any]]:
        """List orders, oldest first, optionally only those of one status or customer.

        Args:
            status: Only orders with this status.
            customer: Only orders of this customer.
        """
        return [
            order
            for order in self.orders
            if (status is None or order["status"] == status)
            and (customer is None or order["customer"] == customer)
        ]

    @staticmethod
    def _add(order: dict[str, Any], sku: str, quantity: int) -> None:
        if quantity < 1:
            raise OrderError("quantity must be a positive integer")
        for item in order["items"]:
            if item["sku"] == sku:
                item["quantity"] += quantity
                return
        order["items"].append({"sku": sku, "quantity": quantity})
        order["items"].sort(key=lambda item: item["sku"])

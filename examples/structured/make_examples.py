"""Write the invoice extraction example: gold records and two format variants of outputs.

    python examples/structured/make_examples.py

The data is synthetic, written for evalgauge with a fixed seed. `gold.jsonl` contains each
invoice's text and the JSON a correct extraction returns. `json_mode.jsonl` imitates a model
asked for JSON mode, and `free_text.jsonl` the same model asked for free text with the JSON
inside. Both contain the mistakes such models make, at the rates set in `MISTAKES`.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

SEED = 20261204
RECORDS = 120
HERE = Path(__file__).parent

VENDORS = [
    ("Acme Tools GmbH", "DE129274202"),
    ("Nordlicht Papier AG", "DE811907980"),
    ("Baltic Freight OÜ", "EE101234567"),
    ("Café Lumière SARL", "FR40303265045"),
    ("Kettle & Crane Ltd", "GB123456789"),
]
CUSTOMERS = [
    ("Jane Doe", "jane.doe@example.com"),
    ("Óscar Núñez", "oscar.nunez@example.org"),
    ("Mei Lin", "mei.lin@example.net"),
    ("Thomas Müller", "t.mueller@example.de"),
    ("Priya Raman", "priya@example.in"),
]
PRODUCTS = [
    ("AT-1001", "Torque wrench 1/2 in", 49.90),
    ("AT-1002", "Socket set, 24 pieces", 89.00),
    ("NP-220", "A4 copy paper, 5 reams", 24.75),
    ("NP-310", "Archive boxes, pack of 10", 18.20),
    ("BF-77", "Pallet transport, per pallet", 120.00),
    ("CL-5", "Espresso beans 1 kg", 21.40),
    ("CL-9", "Milk frother", 64.99),
    ("KC-14", "Stainless kettle 1.7 l", 39.50),
]
TAGS = ["hardware", "office", "logistics", "catering", "priority", "recurring"]
CURRENCIES = ["EUR", "EUR", "EUR", "GBP", "USD"]

# Share of records that get each mistake, per variant.
MISTAKES = {
    "json_mode": {
        "truncated": 0.03,
        "total_as_string": 0.06,
        "us_date": 0.05,
        "reordered_items": 0.20,
        "wrong_quantity": 0.05,
        "missing_tax": 0.04,
        "extra_field": 0.05,
    },
    "free_text": {
        "fence": 0.35,
        "prose": 0.25,
        "trailing_comma": 0.06,
        "single_quotes": 0.04,
        "truncated": 0.05,
        "no_json": 0.03,
        "total_as_string": 0.10,
        "us_date": 0.15,
        "reordered_items": 0.30,
        "wrong_quantity": 0.10,
        "missing_tax": 0.08,
        "extra_field": 0.10,
    },
}


def make_invoice(rng: random.Random, index: int) -> dict[str, Any]:
    vendor, vat = rng.choice(VENDORS)
    customer, email = rng.choice(CUSTOMERS)
    issued = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
    items = []
    for sku, description, price in rng.sample(PRODUCTS, rng.randint(1, 4)):
        items.append(
            {
                "sku": sku,
                "description": description,
                "quantity": rng.randint(1, 6),
                "unit_price": price,
            }
        )
    subtotal = round(sum(i["quantity"] * i["unit_price"] for i in items), 2)
    tax = round(subtotal * 0.19, 2)
    paid = None
    if rng.random() < 0.6:
        moment = datetime(
            issued.year, issued.month, issued.day, 9, tzinfo=timezone(timedelta(hours=1))
        )
        paid = (moment + timedelta(days=rng.randint(1, 20), minutes=rng.randrange(600))).isoformat()
    return {
        "invoice_id": f"INV-2026-{index:04d}",
        "vendor": {"name": vendor, "vat_id": vat},
        "customer": {"name": customer, "email": email},
        "issued_on": issued.isoformat(),
        "due_on": (issued + timedelta(days=30)).isoformat(),
        "currency": rng.choice(CURRENCIES),
        "line_items": items,
        "subtotal": subtotal,
        "tax": tax,
        "total": round(subtotal + tax, 2),
        "paid_at": paid,
        "tags": rng.sample(TAGS, rng.randint(0, 2)),
    }


def document(invoice: dict[str, Any]) -> str:
    lines = [
        f"INVOICE {invoice['invoice_id']}",
        f"From: {invoice['vendor']['name']} (VAT {invoice['vendor']['vat_id']})",
        f"Bill to: {invoice['customer']['name']} <{invoice['customer']['email']}>",
        f"Date: {invoice['issued_on']}   Due: {invoice['due_on']}",
    ]
    for item in invoice["line_items"]:
        lines.append(
            f"  {item['sku']}  {item['description']}  x{item['quantity']}  "
            f"{item['unit_price']:.2f} {invoice['currency']}"
        )
    lines.append(f"Subtotal {invoice['subtotal']:.2f}  VAT 19% {invoice['tax']:.2f}")
    lines.append(f"Total {invoice['total']:.2f} {invoice['currency']}")
    if invoice["paid_at"]:
        lines.append(f"Paid {invoice['paid_at']}")
    return "\n".join(lines)


def mistaken(
    rng: random.Random, invoice: dict[str, Any], rates: dict[str, float]
) -> tuple[Any, set[str]]:
    """Apply the value mistakes to a copy of the invoice; return it and the mistakes made."""
    made = {name for name, rate in rates.items() if rng.random() < rate}
    value = json.loads(json.dumps(invoice))
    if "total_as_string" in made:
        value["total"] = f"{value['total']:.2f}"
    if "us_date" in made:
        issued = date.fromisoformat(value["issued_on"])
        value["issued_on"] = issued.strftime("%m/%d/%Y")
    if "reordered_items" in made:
        value["line_items"].reverse()
    if "wrong_quantity" in made:
        value["line_items"][0]["quantity"] += 1
    if "missing_tax" in made:
        del value["tax"]
    if "extra_field" in made:
        value["notes"] = "Thank you for your business"
    return value, made


def render(rng: random.Random, value: Any, made: set[str]) -> str:
    """Write the output text with the format mistakes in `made`."""
    if "no_json" in made:
        return "I'm sorry, but I can't read the invoice total from this document."
    text = json.dumps(value, ensure_ascii=False, indent=2 if rng.random() < 0.5 else None)
    if "trailing_comma" in made:
        text = text.replace("]", ",]", 1) if "]" in text else text
    if "single_quotes" in made:
        text = text.replace('"', "'")
    if "truncated" in made:
        text = text[: int(len(text) * rng.uniform(0.6, 0.95))]
    if "fence" in made:
        text = f"```json\n{text}\n```"
    if "prose" in made:
        text = f"Here is the extracted invoice:\n{text}\nLet me know if you need anything else."
    return text


def main() -> None:
    rng = random.Random(SEED)
    invoices = [make_invoice(rng, index) for index in range(1, RECORDS + 1)]
    with (HERE / "gold.jsonl").open("w", encoding="utf-8") as gold:
        for invoice in invoices:
            row = {"id": invoice["invoice_id"], "document": document(invoice), "expected": invoice}
            gold.write(json.dumps(row, ensure_ascii=False) + "\n")
    for variant, rates in MISTAKES.items():
        with (HERE / f"{variant}.jsonl").open("w", encoding="utf-8") as out:
            for invoice in invoices:
                value, made = mistaken(rng, invoice, rates)
                row = {"id": invoice["invoice_id"], "output": render(rng, value, made)}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

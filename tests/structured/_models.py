"""A pydantic model that tests name as `tests.structured._models:Invoice`."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class Item(BaseModel):
    sku: str
    quantity: int = Field(ge=1)


class Invoice(BaseModel):
    invoice_id: str
    issued_on: date
    items: list[Item]


NOT_A_MODEL = 3

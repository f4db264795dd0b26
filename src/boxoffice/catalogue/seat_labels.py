"""Seat labels (`A12`: the row's letters, then the seat's number) in the order people read them."""

from __future__ import annotations

from string import digits


def seat_order(label: str) -> tuple[int, str, int]:
    """Sort key of a seat label: by row (A to Z, then AA...), then by number as a number, so H8
    comes before H10 (SPEC: a booking's seats in seat order)."""
    row = label.rstrip(digits)
    return len(row), row, int(label[len(row) :] or 0)

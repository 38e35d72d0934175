"""Celery tasks that settle orders through the shared core models."""

from __future__ import annotations

import os

from celery import Celery
from sqlalchemy import select

from core import Order, make_engine, session_scope

app = Celery(
    "background_worker",
    broker=os.environ.get("SHOP_BROKER_URL", "memory://"),
    backend=os.environ.get("SHOP_RESULT_BACKEND", "cache+memory://"),
)
engine = make_engine(os.environ.get("SHOP_DATABASE_URL", "sqlite+pysqlite:///:memory:"))


@app.task(name="orders.settle_new")
def settle_new_orders() -> int:
    """Mark every new order as settled; return how many were settled."""
    with session_scope(engine) as session:
        orders = session.scalars(select(Order).where(Order.status == "new")).all()
        for order in orders:
            order.status = "settled"
        return len(orders)

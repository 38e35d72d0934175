"""FastAPI app: create and read orders through the shared core models."""

from __future__ import annotations

import os

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from core import Order, OrderIn, OrderOut, make_engine, session_scope

engine = make_engine(os.environ.get("SHOP_DATABASE_URL", "sqlite+pysqlite:///:memory:"))
app = FastAPI(title="shop api-gateway")


class Health(BaseModel):
    status: str


@app.get("/health")
def health() -> Health:
    return Health(status="ok")


@app.post("/orders", status_code=201)
def create_order(order: OrderIn) -> OrderOut:
    with session_scope(engine) as session:
        row = Order(customer=order.customer, total=order.total)
        session.add(row)
        session.flush()
        return OrderOut.model_validate(row)


@app.get("/orders/{order_id}")
def read_order(order_id: int) -> OrderOut:
    with session_scope(engine) as session:
        row = session.get(Order, order_id)
        if row is None:
            raise HTTPException(status_code=404, detail="order not found")
        return OrderOut.model_validate(row)


def main() -> None:
    import uvicorn  # only the server entry point needs it; tests use the ASGI app directly

    uvicorn.run(app, host="0.0.0.0", port=8000)

from decimal import Decimal

import pytest
from pydantic import ValidationError

from core import Order, OrderIn, OrderOut, make_engine, session_scope


def test_order_round_trip() -> None:
    engine = make_engine()
    with session_scope(engine) as session:
        order = Order(customer="ada", total=Decimal("12.50"))
        session.add(order)
        session.flush()
        out = OrderOut.model_validate(order)
    assert out.customer == "ada"
    assert out.status == "new"


def test_order_in_rejects_non_positive_total() -> None:
    with pytest.raises(ValidationError):
        OrderIn(customer="ada", total=Decimal("0"))

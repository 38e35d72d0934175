from decimal import Decimal

from background_worker.tasks import app, engine, settle_new_orders
from core import Order, session_scope


def test_settle_new_orders_runs_eagerly() -> None:
    app.conf.task_always_eager = True
    with session_scope(engine) as session:
        session.add_all([Order(customer="a", total=Decimal("1")), Order(customer="b", total=Decimal("2"))])
    assert settle_new_orders.delay().get() == 2
    assert settle_new_orders.delay().get() == 0

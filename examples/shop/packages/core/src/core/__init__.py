"""Shared models and database helpers of the shop."""

from core.models import Base, Order, OrderIn, OrderOut
from core.session import make_engine, session_scope

__all__ = ["Base", "Order", "OrderIn", "OrderOut", "make_engine", "session_scope"]

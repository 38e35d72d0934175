"""The order table (SQLAlchemy) and its wire shapes (pydantic)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(120))
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[str] = mapped_column(String(20), default="new")


class OrderIn(BaseModel):
    customer: str = Field(min_length=1, max_length=120)
    total: Decimal = Field(gt=0, max_digits=10, decimal_places=2)


class OrderOut(OrderIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str

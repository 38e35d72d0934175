from fastapi.testclient import TestClient

from api_gateway.app import app

client = TestClient(app)


def test_health() -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_create_then_read_order() -> None:
    created = client.post("/orders", json={"customer": "ada", "total": "9.99"})
    assert created.status_code == 201
    order_id = created.json()["id"]
    fetched = client.get(f"/orders/{order_id}")
    assert fetched.json()["customer"] == "ada"
    assert client.get("/orders/999").status_code == 404

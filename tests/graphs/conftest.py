"""A small hand-written tool pool over four domains, shared by the graph tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from turnloom.schema import ToolSpec

S, INT, N = "string", "integer", "number"

# name, domain, description, {param: (type, description)}, {return field: (type, description)} or list-of
_POOL: list[tuple[str, str, str, dict[str, tuple[str, str]], dict[str, Any]]] = [
    (
        "search_flights",
        "travel",
        "Search flights between two airports on a date.",
        {
            "origin": (S, "IATA code of the departure airport"),
            "destination": (S, "IATA code of the arrival airport"),
            "departure_date": (S, "Date of departure, YYYY-MM-DD"),
        },
        {
            "flights[]": {
                "flight_id": (S, "Identifier of the flight"),
                "price": (N, "Ticket price in USD"),
                "departure_time": (S, "Scheduled departure time"),
            }
        },
    ),
    (
        "book_flight",
        "travel",
        "Book a seat on a flight for a passenger.",
        {"flight_id": (S, "Identifier of the flight to book"), "passenger_name": (S, "Full name of the passenger")},
        {"booking_id": (S, "Identifier of the new booking"), "status": (S, "Booking status")},
    ),
    (
        "get_booking",
        "travel",
        "Get a booking by its id.",
        {"booking_id": (S, "Identifier of the booking")},
        {
            "booking_id": (S, "Identifier of the booking"),
            "flight_id": (S, "Identifier of the booked flight"),
            "passenger_name": (S, "Full name of the passenger"),
        },
    ),
    (
        "cancel_booking",
        "travel",
        "Cancel a flight booking.",
        {"booking_id": (S, "Identifier of the booking to cancel")},
        {"refund_amount": (N, "Amount refunded in USD")},
    ),
    (
        "search_hotels",
        "travel",
        "Find hotels in a city for given dates.",
        {
            "city": (S, "Name of the destination city"),
            "check_in": (S, "Check-in date, YYYY-MM-DD"),
            "check_out": (S, "Check-out date, YYYY-MM-DD"),
        },
        {
            "hotels[]": {
                "hotel_id": (S, "Identifier of the hotel"),
                "name": (S, "Hotel name"),
                "nightly_rate": (N, "Price per night in USD"),
            }
        },
    ),
    (
        "reserve_hotel",
        "travel",
        "Reserve a hotel room.",
        {
            "hotel_id": (S, "Identifier of the hotel to reserve"),
            "check_in": (S, "Check-in date, YYYY-MM-DD"),
            "check_out": (S, "Check-out date, YYYY-MM-DD"),
        },
        {"reservation_id": (S, "Identifier of the hotel reservation")},
    ),
    (
        "get_airport_info",
        "travel",
        "Details of an airport.",
        {"airport_code": (S, "IATA code of the airport")},
        {"city": (S, "City served by the airport"), "name": (S, "Airport name")},
    ),
    (
        "get_current_weather",
        "weather",
        "Current weather conditions in a city.",
        {"city": (S, "Name of the city"), "units": (S, "metric or imperial")},
        {"temperature": (N, "Current temperature"), "conditions": (S, "Short text such as sunny or rain")},
    ),
    (
        "get_forecast",
        "weather",
        "Daily weather forecast for a city.",
        {"city": (S, "Name of the city"), "days": (INT, "Number of forecast days")},
        {
            "days[]": {
                "date": (S, "Forecast date"),
                "high": (N, "Highest temperature"),
                "low": (N, "Lowest temperature"),
            }
        },
    ),
    (
        "get_air_quality",
        "weather",
        "Air quality index for a city.",
        {"city": (S, "Name of the city")},
        {"aqi": (INT, "Air quality index"), "pollutant": (S, "Dominant pollutant")},
    ),
    (
        "get_weather_alerts",
        "weather",
        "Active severe weather alerts for a region.",
        {"region": (S, "Region or state name")},
        {"alerts[]": {"alert_id": (S, "Identifier of the alert"), "headline": (S, "Alert headline")}},
    ),
    (
        "search_products",
        "shopping",
        "Search the product catalog by keyword.",
        {"query": (S, "Search keywords for the product"), "max_price": (N, "Maximum price in USD")},
        {
            "products[]": {
                "product_id": (S, "Identifier of the product"),
                "title": (S, "Product title"),
                "price": (N, "Product price in USD"),
            }
        },
    ),
    (
        "get_product",
        "shopping",
        "Details of one product.",
        {"product_id": (S, "Identifier of the product")},
        {
            "product_id": (S, "Identifier of the product"),
            "title": (S, "Product title"),
            "stock": (INT, "Units in stock"),
        },
    ),
    (
        "add_to_cart",
        "shopping",
        "Add a product to the shopping cart.",
        {"product_id": (S, "Identifier of the product to add"), "quantity": (INT, "Number of units")},
        {"cart_id": (S, "Identifier of the shopping cart"), "item_count": (INT, "Items now in the cart")},
    ),
    (
        "checkout_cart",
        "shopping",
        "Pay for the shopping cart and create an order.",
        {"cart_id": (S, "Identifier of the shopping cart"), "payment_method": (S, "card or paypal")},
        {"order_id": (S, "Identifier of the new order"), "total": (N, "Total charged in USD")},
    ),
    (
        "track_order",
        "shopping",
        "Shipping status of an order.",
        {"order_id": (S, "Identifier of the order")},
        {"status": (S, "Shipping status"), "eta": (S, "Estimated delivery date")},
    ),
    (
        "cancel_order",
        "shopping",
        "Cancel an order that has not shipped.",
        {"order_id": (S, "Identifier of the order to cancel"), "reason": (S, "Why the order is cancelled")},
        {"refund_amount": (N, "Amount refunded in USD")},
    ),
    (
        "get_stock_quote",
        "finance",
        "Latest quote for a stock ticker.",
        {"symbol": (S, "Stock ticker symbol such as AAPL")},
        {"price": (N, "Last traded price"), "change_percent": (N, "Change since previous close in percent")},
    ),
    (
        "get_company_profile",
        "finance",
        "Company profile for a stock ticker.",
        {"symbol": (S, "Stock ticker symbol")},
        {"company_name": (S, "Registered company name"), "sector": (S, "Industry sector")},
    ),
    (
        "convert_currency",
        "finance",
        "Convert an amount between currencies.",
        {
            "amount": (N, "Amount of money to convert"),
            "from_currency": (S, "ISO currency code to convert from"),
            "to_currency": (S, "ISO currency code to convert to"),
        },
        {"converted_amount": (N, "Converted amount of money"), "rate": (N, "Exchange rate used")},
    ),
    (
        "get_exchange_rate",
        "finance",
        "Exchange rate between two currencies.",
        {
            "from_currency": (S, "ISO currency code of the base currency"),
            "to_currency": (S, "ISO currency code of the quote currency"),
        },
        {"rate": (N, "Exchange rate")},
    ),
    (
        "place_trade",
        "finance",
        "Buy or sell shares of a stock.",
        {
            "symbol": (S, "Stock ticker symbol to trade"),
            "shares": (INT, "Number of shares"),
            "side": (S, "buy or sell"),
        },
        {"trade_id": (S, "Identifier of the trade"), "fill_price": (N, "Price per share filled")},
    ),
    (
        "get_trade",
        "finance",
        "Status of a trade.",
        {"trade_id": (S, "Identifier of the trade")},
        {"status": (S, "Trade status"), "symbol": (S, "Stock ticker symbol")},
    ),
]


def _schema(fields: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for key, value in fields.items():
        if key.endswith("[]"):
            props[key[:-2]] = {"type": "array", "items": _schema(value)}
        else:
            props[key] = {"type": value[0], "description": value[1]}
    return {"type": "object", "properties": props}


def make_pool() -> list[ToolSpec]:
    tools = []
    for name, domain, description, params, returns in _POOL:
        parameters = _schema(params)
        parameters["required"] = list(params)
        tools.append(
            ToolSpec(name=name, description=description, parameters=parameters, returns=_schema(returns), domain=domain)
        )
    return tools


@pytest.fixture(scope="session")
def pool() -> list[ToolSpec]:
    return make_pool()


@pytest.fixture()
def pool_file(tmp_path: Path, pool: list[ToolSpec]) -> Path:
    path = tmp_path / "pool.jsonl"
    path.write_text("".join(t.model_dump_json() + "\n" for t in pool))
    return path

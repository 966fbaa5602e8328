"""Built-in API pool: retail, banking and finance."""

from __future__ import annotations

from _pool_common import (
    Domain,
    array,
    boolean,
    date,
    datetime,
    enum,
    ident,
    integer,
    money,
    nullable,
    number,
    obj,
    record,
    ref,
    string,
    uri,
)


def retail() -> Domain:
    address_def = {
        "type": "object",
        "properties": {
            "recipient_name": string("Name of the recipient."),
            "street": string("Street and house number."),
            "city": string("City name."),
            "postal_code": string("Postal code."),
            "country_code": string("ISO 3166-1 alpha-2 country code.", pattern="^[A-Z]{2}$"),
        },
        "required": ["recipient_name", "street", "city", "postal_code", "country_code"],
    }
    d = Domain(
        "retail",
        product_id=ident("Identifier of the product, as returned by search_products."),
        cart_id=ident("Identifier of the shopping cart."),
        cart_item_id=ident("Identifier of a line in the shopping cart."),
        order_id=ident("Identifier of the order."),
        return_id=ident("Identifier of the return request."),
        sku=string("Stock keeping unit of a variant, e.g. 'TSHIRT-BLU-M'.", pattern="^[A-Z0-9-]{3,32}$"),
        name=string("Name of the product."),
        brand=string("Brand of the product."),
        category=enum("Product category.",
                      "electronics home_kitchen fashion beauty sports toys books grocery garden automotive"),
        min_price=money("Minimum price in the given currency."),
        in_stock=boolean("Whether the product can be shipped now."),
        in_stock_only=boolean("Only return products in stock.", default=False),
        sort_by=enum("Sort order of the results.", "relevance price_asc price_desc rating newest",
                     default="relevance"),
        description=string("Product description."),
        variants=array("Purchasable variants.", record({
            "sku": string("Stock keeping unit of the variant."),
            "color": nullable(string("Color of the variant.")),
            "size": nullable(string("Size of the variant.")),
            "price": money("Price of the variant."),
            "in_stock": boolean("Whether the variant is in stock."),
        })),
        images=array("Product image links.", uri("Image link.")),
        quantity=integer("Number of units.", minimum=1, maximum=99),
        items_count=integer("Number of units in total.", minimum=0),
        subtotal=money("Sum of the line totals before shipping and discounts."),
        unit_price=money("Price of one unit."),
        line_total=money("Unit price times quantity."),
        total_amount=money("Total charged, including shipping, taxes and discounts."),
        shipping_address=obj("Where to ship the order.", address_def["properties"], address_def["required"]),
        order_address=ref("address", "Where the order ships to."),
        payment_method=enum("Payment method.", "credit_card debit_card paypal gift_card apple_pay",
                            default="credit_card"),
        shipping_method=enum("Shipping speed.", "standard express next_day", default="standard"),
        coupon_code=string("Discount coupon code.", pattern="^[A-Z0-9]{4,16}$"),
        status=enum("Order status.", "pending processing shipped delivered cancelled returned"),
        estimated_delivery_date=date("Estimated delivery date."),
        tracking_number=nullable(string("Carrier tracking number, once shipped.")),
        carrier=string("Shipping carrier, e.g. 'UPS'."),
        shipment_status=enum("Shipment status.",
                             "label_created in_transit out_for_delivery delivered exception"),
        events=array("Tracking events, most recent first.", record({
            "timestamp": datetime("When the event happened."),
            "location": string("Where the event happened."),
            "description": string("What happened."),
        })),
        return_reason=enum("Reason for the return.",
                           "damaged wrong_item not_as_described no_longer_needed defective other"),
        return_status=enum("Return status.", "requested approved received refunded rejected"),
        return_label_url=uri("Link to the prepaid return shipping label."),
    )
    product = "product_id name brand category price currency rating in_stock"
    d.define(
        products=d.records("Matching products.", product),
        cart_lines=d.records("Lines in the cart.",
                             "cart_item_id product_id name quantity unit_price line_total"),
        order_lines=d.records("Ordered products.", "product_id name quantity unit_price"),
        orders=d.records("Orders, most recent first.",
                         "order_id status total_amount currency created_at items_count"),
    )
    d.add("search_products", "Search the product catalog by keyword with optional filters.", "product,search",
          "query* category brand min_price max_price currency min_rating in_stock_only sort_by limit",
          "products total_results")
    d.add("get_product_details", "Get the description, variants and images of a product.", "product,details",
          "product_id*", f"{product} review_count description variants images")
    d.add("add_to_cart", "Add a product to the shopping cart, creating a cart if none is given.", "cart",
          "product_id* quantity* sku cart_id", "cart_item_id cart_id product_id quantity subtotal currency",
          cart_id=ident("Cart to add to; a new cart is created when omitted."))
    d.add("get_cart", "Get the contents and subtotal of a shopping cart.", "cart",
          "cart_id*", "cart_id items=cart_lines items_count subtotal currency")
    d.add("update_cart_item", "Change the quantity of a line in the shopping cart.", "cart",
          "cart_item_id* quantity*", "cart_item_id cart_id quantity subtotal currency")
    d.add("remove_cart_item", "Remove a line from the shopping cart.", "cart",
          "cart_item_id*", "cart_item_id cart_id removed subtotal currency")
    d.add("create_order", "Place an order for the contents of a cart.", "order,checkout",
          "cart_id* shipping_address* payment_method shipping_method coupon_code",
          "order_id status total_amount currency estimated_delivery_date created_at")
    d.add("get_order", "Retrieve an order with its items, address and tracking number.", "order",
          "order_id*",
          "order_id status items=order_lines total_amount currency shipping_address=order_address "
          "tracking_number created_at", defs={"address": address_def})
    d.add("list_orders", "List the customer's orders, optionally filtered by status or date.", "order",
          "status start_date end_date limit", "orders")
    d.add("cancel_order", "Cancel an order that has not shipped yet.", "order,cancel",
          "order_id* reason", "order_id status refund_amount currency")
    d.add("track_shipment", "Track the shipment of an order.", "order,shipping",
          "order_id*",
          "order_id carrier tracking_number status=shipment_status estimated_delivery_date events")
    d.add("request_return", "Request a return and refund for a product of a delivered order.", "order,return",
          "order_id* product_id* reason=return_reason* comment",
          "return_id order_id product_id status=return_status refund_amount currency return_label_url")
    return d


def banking() -> Domain:
    d = Domain(
        "banking",
        account_id=ident("Identifier of the bank account, as returned by list_accounts."),
        from_account_id=ident("Identifier of the account to debit."),
        to_account_id=ident("Identifier of the account to credit."),
        transaction_id=ident("Identifier of the transaction."),
        transfer_id=ident("Identifier of the transfer."),
        payee_id=ident("Identifier of the saved payee."),
        payment_id=ident("Identifier of the bill payment."),
        card_id=ident("Identifier of the payment card."),
        account_type=enum("Type of account.", "checking savings credit_card"),
        nickname=nullable(string("Nickname chosen by the customer.", maxLength=50)),
        account_number_last4=string("Last four digits of the account number.", pattern="^[0-9]{4}$"),
        balance=number("Current balance; negative when money is owed."),
        available_balance=number("Balance available to spend now."),
        current_balance=number("Booked balance, including pending transactions."),
        as_of=datetime("Time the figures refer to."),
        min_amount=money("Only transactions at least this large (absolute value)."),
        max_amount=money("Only transactions at most this large (absolute value)."),
        signed_amount=number("Signed amount; negative for money leaving the account."),
        category=enum("Spending category.",
                      "groceries dining transport shopping utilities salary transfer entertainment health "
                      "other"),
        merchant_name=nullable(string("Merchant name, for card payments.")),
        description=string("Description shown on the statement."),
        transaction_status=enum("Transaction status.", "pending posted"),
        reference=nullable(string("Payment reference.")),
        memo=string("Note shown to the recipient.", maxLength=140),
        scheduled_date=date("Date to execute the payment; today when omitted."),
        idempotency_key=string("Client-generated key that makes retries safe.", format="uuid"),
        status=enum("Status of the transfer or payment.", "scheduled pending completed failed cancelled"),
        name=string("Name of the payee as registered at their bank."),
        iban=string("IBAN of the payee, e.g. 'DE89370400440532013000'.",
                    pattern="^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"),
        iban_last4=string("Last four characters of the payee's IBAN.", pattern="^[A-Z0-9]{4}$"),
        card_type=enum("Type of card.", "debit credit virtual"),
        last4=string("Last four digits of the card number.", pattern="^[0-9]{4}$"),
        card_status=enum("Card status.", "active frozen cancelled expired"),
        expiry_date=string("Expiry month, e.g. '2027-09'.", pattern="^[0-9]{4}-(0[1-9]|1[0-2])$"),
        freeze_reason=enum("Why the card is frozen.", "lost stolen suspicious_activity temporary"),
    )
    txn = ("transaction_id date description amount=signed_amount currency category merchant_name "
           "status=transaction_status")
    transfer = "transfer_id from_account_id to_account_id amount currency status"
    payment = "payment_id account_id payee_id amount currency status scheduled_date"
    d.define(
        accounts=d.records("The customer's accounts.",
                           "account_id account_type nickname account_number_last4 balance currency"),
        transactions=d.records("Transactions, most recent first.", txn),
        payees=d.records("Saved payees.", "payee_id name nickname iban_last4"),
        cards=d.records("Payment cards.",
                        "card_id account_id card_type last4 status=card_status expiry_date"),
    )
    d.add("list_accounts", "List the customer's bank accounts with their balances.", "account",
          "account_type", "accounts")
    d.add("get_account_balance", "Get the available and current balance of an account.", "account,balance",
          "account_id*", "account_id available_balance current_balance currency as_of")
    d.add("list_transactions", "List the transactions of an account with optional filters.", "transaction",
          "account_id* start_date end_date min_amount max_amount category limit", "account_id transactions")
    d.add("get_transaction_details", "Get the full details of one transaction.", "transaction",
          "transaction_id*", f"{txn} account_id reference")
    d.add("transfer_funds", "Move money between two of the customer's accounts.", "transfer",
          "from_account_id* to_account_id* amount* currency memo scheduled_date idempotency_key",
          f"{transfer} created_at")
    d.add("get_transfer", "Get the status of a transfer.", "transfer",
          "transfer_id*", f"{transfer} memo? created_at")
    d.add("add_payee", "Save a new payee for bill payments.", "payee",
          "name* iban* nickname email", "payee_id name nickname iban_last4 created_at",
          email=string("Email to notify the payee of payments.", format="email"))
    d.add("list_payees", "List the customer's saved payees.", "payee", "", "payees")
    d.add("send_payment", "Pay a saved payee from an account, now or on a scheduled date.", "payment",
          "account_id* payee_id* amount* currency memo scheduled_date", f"{payment} created_at")
    d.add("cancel_scheduled_payment", "Cancel a payment that is scheduled but not yet executed.",
          "payment,cancel", "payment_id*", "payment_id status")
    d.add("list_cards", "List the customer's payment cards, optionally for one account.", "card",
          "account_id", "cards")
    d.add("freeze_card", "Temporarily block a payment card.", "card,security",
          "card_id* reason=freeze_reason", "card_id status=card_status updated_at")
    return d


def finance() -> Domain:
    holding_def = {
        "type": "object",
        "properties": {
            "symbol": string("Ticker symbol."),
            "quantity": number("Number of shares held.", minimum=0),
            "average_cost": number("Average purchase price per share.", minimum=0),
            "market_value": number("Current value of the position.", minimum=0),
            "unrealized_gain": number("Gain or loss since purchase."),
        },
        "required": ["symbol", "quantity", "average_cost", "market_value", "unrealized_gain"],
    }
    d = Domain(
        "finance",
        symbol=string("Ticker symbol, e.g. 'AAPL'.", pattern="^[A-Z][A-Z0-9.]{0,9}$"),
        query=string("Company name or ticker to look up, e.g. 'Tesla'.", minLength=1, maxLength=100),
        stock_order_id=ident("Identifier of the stock order."),
        name=string("Name of the company or fund."),
        exchange=string("Exchange code, e.g. 'NASDAQ'."),
        asset_type=enum("Kind of security.", "stock etf fund index crypto"),
        price=number("Last traded price.", minimum=0),
        change=number("Change since the previous close."),
        change_percent=number("Change since the previous close in percent."),
        volume=integer("Shares traded.", minimum=0),
        market_cap=nullable(number("Market capitalization, if applicable.", minimum=0)),
        as_of=datetime("Time the figures refer to."),
        interval=enum("Bar interval.", "1d 1wk 1mo", default="1d"),
        prices=array("Price bars, oldest first.", record({
            "date": date("Start of the bar."),
            "open": number("Opening price."),
            "high": number("Highest price."),
            "low": number("Lowest price."),
            "close": number("Closing price."),
            "volume": integer("Shares traded.", minimum=0),
        })),
        sector=string("Sector, e.g. 'Technology'."),
        industry=string("Industry, e.g. 'Consumer Electronics'."),
        employees=nullable(integer("Number of employees.", minimum=0)),
        website=uri("Company website."),
        description=string("Business summary."),
        from_currency=string("Currency to convert from (ISO 4217), e.g. 'EUR'.", pattern="^[A-Z]{3}$"),
        to_currency=string("Currency to convert to (ISO 4217), e.g. 'JPY'.", pattern="^[A-Z]{3}$"),
        base_currency=string("Base currency (ISO 4217).", pattern="^[A-Z]{3}$"),
        quote_currency=string("Quote currency (ISO 4217).", pattern="^[A-Z]{3}$"),
        rate=number("Units of the target currency per unit of the source currency.", exclusiveMinimum=0),
        converted_amount=money("Converted amount in the target currency."),
        side=enum("Buy or sell.", "buy sell"),
        quantity=number("Number of shares.", exclusiveMinimum=0),
        order_type=enum("Order type.", "market limit stop", default="market"),
        limit_price=money("Limit or stop price; required for limit and stop orders."),
        time_in_force=enum("How long the order stays open.", "day gtc", default="day"),
        status=enum("Order status.", "open partially_filled filled cancelled rejected"),
        filled_quantity=number("Shares filled so far.", minimum=0),
        average_fill_price=nullable(number("Average fill price, once filled.", minimum=0)),
        portfolio_value=money("Market value of all holdings plus cash."),
        cash_balance=money("Cash available to trade."),
        holdings=array("Open positions.", ref("holding", "One position.")),
    )
    order = "stock_order_id symbol side quantity order_type status created_at"
    d.define(
        securities=d.records("Matching securities.", "symbol name exchange asset_type currency"),
        orders=d.records("Stock orders, most recent first.", order),
    )
    d.add("get_stock_quote", "Get the latest price and daily change of a stock or ETF.", "stock,quote",
          "symbol*", "symbol price change change_percent currency volume market_cap as_of")
    d.add("search_securities", "Find stocks, ETFs and funds by company name or ticker.", "stock,search",
          "query* exchange asset_type limit", "securities")
    d.add("get_stock_history", "Get historical price bars of a security.", "stock,history",
          "symbol* start_date* end_date* interval", "symbol currency prices")
    d.add("get_company_profile", "Get the sector, size and business summary of a listed company.",
          "stock,company", "symbol*",
          "symbol name sector industry country_code employees website description")
    d.add("convert_currency", "Convert an amount between two currencies at the latest rate.", "fx,currency",
          "amount* from_currency* to_currency*",
          "amount from_currency to_currency rate converted_amount as_of")
    d.add("get_exchange_rate", "Get the latest exchange rate between two currencies.", "fx,currency",
          "base_currency* quote_currency*", "base_currency quote_currency rate as_of")
    d.add("create_stock_order", "Place an order to buy or sell shares.", "trading,order",
          "symbol* side* quantity* order_type limit_price time_in_force", f"{order} limit_price?")
    d.add("get_stock_order", "Get the status and fills of a stock order.", "trading,order",
          "stock_order_id*", f"{order} filled_quantity average_fill_price")
    d.add("list_stock_orders", "List stock orders, optionally by status or symbol.", "trading,order",
          "status symbol limit", "orders")
    d.add("cancel_stock_order", "Cancel an open stock order.", "trading,order,cancel",
          "stock_order_id*", "stock_order_id status")
    d.add("get_portfolio", "Get the holdings, cash and total value of the brokerage account.", "portfolio",
          "", "portfolio_value cash_balance currency holdings as_of", defs={"holding": holding_def})
    return d


DOMAINS = (retail, banking, finance)

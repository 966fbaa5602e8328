"""Built-in API pool: maps, weather, event tickets and real estate."""

from __future__ import annotations

from _pool_common import (
    HHMM,
    Domain,
    array,
    boolean,
    date,
    datetime,
    email,
    enum,
    ident,
    integer,
    money,
    nullable,
    number,
    record,
    string,
    uri,
)


def maps() -> Domain:
    kinds = "restaurant cafe bar hotel museum park pharmacy hospital gas_station supermarket atm parking"
    category = enum("Category of place.", kinds)
    d = Domain(
        "maps",
        place_id=ident("Identifier of the place, as returned by search_places."),
        saved_place_id=ident("Identifier of the saved place."),
        name=string("Name of the place."),
        description=string("What is happening on the road."),
        route_id=ident("Identifier of the computed route."),
        incident_id=ident("Identifier of the traffic incident."),
        category=category,
        origin=string("Starting address or place name.", minLength=2, maxLength=200),
        destination=string("Destination address or place name.", minLength=2, maxLength=200),
        mode=enum("Travel mode.", "driving walking cycling transit", default="driving"),
        avoid=array("Road features to avoid.", enum("A road feature.", "tolls highways ferries")),
        departure_time=datetime("Planned departure time, for traffic-aware estimates."),
        formatted_address=string("Normalized full address."),
        postal_code=nullable(string("Postal code, if any.")),
        distance_km=number("Route length in kilometres.", minimum=0),
        distance_m=integer("Distance from the search centre in metres.", minimum=0),
        distance=number("Travel distance in the requested unit.", minimum=0),
        unit=enum("Distance unit.", "km mi", default="km"),
        duration_minutes=integer("Estimated travel time in minutes.", minimum=0),
        summary=string("Main roads used, e.g. 'via A1 and M25'."),
        steps=array("Turn-by-turn instructions.", record({
            "instruction": string("What to do at this step."),
            "distance_m": integer("Length of the step in metres.", minimum=0),
            "duration_s": integer("Duration of the step in seconds.", minimum=0),
        })),
        radius_m=integer("Search radius in metres.", minimum=50, maximum=50000, default=1000),
        open_now=boolean("Only places open right now.", default=False),
        website=nullable(uri("Website of the place.")),
        opening_hours=array("Opening hours per weekday.", string("Hours, e.g. 'Mon 09:00-18:00'.")),
        price_level=integer("Price level from 1 (cheap) to 4 (expensive).", minimum=1, maximum=4),
        road=string("Road name, e.g. 'I-95'."),
        congestion_level=enum("Overall congestion.", "low moderate heavy severe"),
        incident_type=enum("Kind of incident.", "accident roadwork closure congestion"),
        severity=enum("Severity.", "minor moderate major"),
        list_name=string("Name of the list of saved places.", default="Favorites"),
        note=nullable(string("Personal note about the place.", maxLength=300)),
    )
    place = "place_id name category address latitude longitude rating distance_m"
    saved = "saved_place_id place_id list_name note"
    d.define(
        places=d.records("Matching places.", place),
        incidents=d.records("Current incidents.", "incident_id type=incident_type road description severity"),
        saved_places=d.records("Saved places.", f"{saved} name"),
    )
    d.add("geocode_address", "Convert a street address or place name into coordinates.", "geocoding",
          "address*", "formatted_address latitude longitude city country_code postal_code")
    d.add("reverse_geocode", "Find the address at a pair of coordinates.", "geocoding",
          "latitude* longitude*", "formatted_address city country_code postal_code")
    d.add("calculate_route", "Calculate a route between two places with turn-by-turn directions.",
          "route,navigation", "origin* destination* mode avoid departure_time",
          "route_id distance_km duration_minutes summary steps")
    d.add("calculate_distance", "Get the travel distance and time between two places without directions.",
          "route,distance", "origin* destination* mode unit", "distance unit duration_minutes")
    d.add("search_places", "Search for places by name or keyword, optionally in a city.", "place,search",
          "query* city category open_now limit", "places")
    d.add("find_nearby_places", "Find places of a category within a radius of a point.", "place,nearby",
          "latitude* longitude* category* radius_m limit", "places")
    d.add("get_place_details", "Get contact details, opening hours and ratings of a place.", "place,details",
          "place_id*",
          "place_id name category address phone website opening_hours rating review_count price_level")
    d.add("get_traffic_info", "Get current congestion and incidents on the roads of a city.", "traffic",
          "city* road", "city congestion_level incidents updated_at")
    d.add("save_place", "Save a place to one of the user's lists.", "place,favorites",
          "place_id* list_name note", f"{saved} created_at")
    d.add("list_saved_places", "List the places saved by the user, optionally from one list.",
          "place,favorites", "list_name", "saved_places")
    d.add("remove_saved_place", "Remove a place from the user's saved places.", "place,favorites",
          "saved_place_id*", "saved_place_id removed")
    return d


def weather() -> Domain:
    severity = "minor moderate severe extreme"
    percent = {"minimum": 0, "maximum": 100}
    d = Domain(
        "weather",
        alert_subscription_id=ident("Identifier of the weather alert subscription."),
        alert_id=ident("Identifier of the weather alert."),
        units=enum("Unit system: metric (°C, km/h) or imperial (°F, mph).", "metric imperial",
                   default="metric"),
        condition=enum("Sky condition.", "clear partly_cloudy cloudy rain thunderstorm snow fog windy"),
        temperature=number("Air temperature in the requested units."),
        feels_like=number("Apparent temperature in the requested units."),
        temperature_high=number("Daily high temperature in the requested units."),
        temperature_low=number("Daily low temperature in the requested units."),
        humidity=integer("Relative humidity in percent.", **percent),
        wind_speed=number("Wind speed in the requested units.", minimum=0),
        precipitation_probability=integer("Chance of precipitation in percent.", **percent),
        precipitation_mm=number("Total precipitation in millimetres.", minimum=0),
        observed_at=datetime("Time of the observation."),
        days=integer("Number of days to forecast.", minimum=1, maximum=14, default=3),
        hours=integer("Number of hours to forecast.", minimum=1, maximum=48, default=12),
        hour=datetime("Start of the hour."),
        aqi=integer("Air quality index (US EPA scale).", minimum=0, maximum=500),
        aqi_category=enum("Health category of the index.",
                          "good moderate unhealthy_for_sensitive_groups unhealthy very_unhealthy hazardous"),
        dominant_pollutant=enum("Pollutant driving the index.", "pm25 pm10 o3 no2 so2 co"),
        pm25=number("PM2.5 concentration in µg/m³.", minimum=0),
        pm10=number("PM10 concentration in µg/m³.", minimum=0),
        uv_index=number("Maximum UV index.", minimum=0, maximum=15),
        risk_level=enum("Exposure risk.", "low moderate high very_high extreme"),
        sunrise=string("Local sunrise time, e.g. '06:42'.", pattern=HHMM),
        sunset=string("Local sunset time, e.g. '19:58'.", pattern=HHMM),
        day_length_minutes=integer("Length of daylight in minutes.", minimum=0, maximum=1440),
        min_severity=enum("Minimum alert severity.", severity, default="moderate"),
        severity=enum("Severity of the alert.", severity),
        event=string("Kind of event, e.g. 'Flood Warning'."),
        headline=string("One-line summary of the alert."),
        starts_at=datetime("When the alert takes effect."),
        ends_at=datetime("When the alert expires."),
        status=enum("Subscription status.", "active cancelled"),
    )
    sub = "alert_subscription_id city email min_severity"
    d.define(
        forecast=d.records("One entry per day.", "date condition temperature_high temperature_low "
                                                 "precipitation_probability wind_speed"),
        hourly=d.records("One entry per hour.", "time=hour temperature condition precipitation_probability"),
        alerts=d.records("Active alerts.", "alert_id event severity headline starts_at ends_at"),
        subscriptions=d.records("Active subscriptions.", sub),
    )
    d.add("get_current_weather", "Get the current weather conditions in a city.", "weather,current",
          "city* country_code units",
          "city temperature feels_like humidity wind_speed condition units observed_at")
    d.add("get_weather_forecast", "Get the daily weather forecast for a city for up to 14 days.",
          "weather,forecast", "city* days units", "city units forecast")
    d.add("get_hourly_forecast", "Get the hour-by-hour forecast for a city for up to 48 hours.",
          "weather,forecast", "city* hours units", "city units hours=hourly")
    d.add("get_historical_weather", "Get the observed weather in a city on a past date.", "weather,history",
          "city* date* units", "city date temperature_high temperature_low precipitation_mm condition")
    d.add("get_air_quality", "Get the current air quality index and pollutant levels in a city.",
          "air quality", "city*", "city aqi category=aqi_category dominant_pollutant pm25 pm10 observed_at")
    d.add("get_uv_index", "Get the maximum UV index expected in a city on a date.", "uv,forecast",
          "city* date", "city date uv_index risk_level")
    d.add("get_sunrise_sunset", "Get sunrise and sunset times in a city on a date.", "sun,astronomy",
          "city* date*", "city date sunrise sunset day_length_minutes")
    d.add("get_weather_alerts", "Get active severe weather warnings for a city.", "weather,alert",
          "city* min_severity", "city alerts")
    d.add("subscribe_weather_alerts", "Subscribe an email address to severe weather alerts for a city.",
          "weather,alert,subscription", "city* email* min_severity", f"{sub} created_at")
    d.add("list_weather_subscriptions", "List the weather alert subscriptions of an email address.",
          "weather,subscription", "email*", "subscriptions")
    d.add("cancel_weather_subscription", "Cancel a weather alert subscription.", "weather,subscription",
          "alert_subscription_id*", "alert_subscription_id status")
    return d


def event_tickets() -> Domain:
    d = Domain(
        "event_tickets",
        show_id=ident("Identifier of the show (concert, play, match or festival)."),
        venue_id=ident("Identifier of the venue."),
        seat_id=ident("Identifier of a seat, as returned by list_show_seats."),
        ticket_order_id=ident("Identifier of the ticket order."),
        transfer_id=ident("Identifier of the ticket transfer."),
        name=string("Name of the show."),
        description=string("Description of the show."),
        category=enum("Kind of show.", "concert theater comedy festival sports family"),
        venue_name=string("Name of the venue."),
        start_time=datetime("Local start date and time of the show."),
        door_time=nullable(datetime("When the doors open, if announced.")),
        min_price=money("Cheapest ticket price."),
        max_price=money("Most expensive ticket price."),
        show_status=enum("Sales status of the show.", "on_sale sold_out cancelled postponed"),
        performers=array("Performers or teams appearing.", string("A performer.")),
        age_restriction=nullable(integer("Minimum age for entry, if any.", minimum=0, maximum=21)),
        section=string("Seating section, e.g. 'Floor A'."),
        row=string("Row label."),
        seat_number=string("Seat number within the row."),
        accessible=boolean("Whether the seat is wheelchair accessible."),
        quantity=integer("Number of tickets.", minimum=1, maximum=10),
        seat_ids=array("Specific seats to book; best available seats when omitted.",
                       ident("Identifier of a seat.")),
        delivery_method=enum("How the tickets are delivered.", "mobile email will_call", default="mobile"),
        status=enum("Order status.", "confirmed cancelled transferred"),
        recipient_email=email("Email of the person receiving the tickets."),
        capacity=integer("Number of people the venue holds.", minimum=1),
        parking_available=boolean("Whether the venue has parking."),
        accessibility_features=array("Accessibility features of the venue.", string("A feature.")),
    )
    show = "show_id name category venue_id venue_name city start_time min_price currency status=show_status"
    order = "ticket_order_id show_id quantity seat_ids total_price currency status delivery_method"
    d.define(
        shows=d.records("Matching shows, soonest first.", show),
        seats=d.records("Available seats.", "seat_id section row seat_number price currency accessible"),
        orders=d.records("Ticket orders, most recent first.", order),
    )
    d.add("search_shows", "Search concerts, plays, matches and festivals in a city.", "show,search",
          "city* query category start_date end_date max_price currency limit", "shows total_results")
    d.add("get_show_details", "Get the line-up, timing, prices and rules of a show.", "show,details",
          "show_id*", f"{show} description performers door_time age_restriction max_price")
    d.add("list_show_seats", "List the seats still available for a show.", "show,seat",
          "show_id* section max_price quantity", "show_id seats")
    d.add("get_venue_details", "Get the address, capacity and accessibility of a venue.", "venue,details",
          "venue_id*", "venue_id name address city capacity accessibility_features parking_available",
          name=string("Name of the venue."))
    d.add("list_venue_shows", "List the upcoming shows at a venue.", "venue,show",
          "venue_id* start_date end_date", "venue_id shows")
    d.add("book_tickets", "Buy tickets for a show.", "ticket,booking",
          "show_id* quantity* email* seat_ids delivery_method", f"{order} created_at",
          email=email("Email to send the tickets to."))
    d.add("get_ticket_order", "Retrieve a ticket order.", "ticket,order",
          "ticket_order_id*", f"{order} email")
    d.add("list_ticket_orders", "List the ticket orders made with an email address.", "ticket,order",
          "email* status", "orders")
    d.add("cancel_ticket_order", "Cancel a ticket order and refund it where the organizer allows.",
          "ticket,cancel", "ticket_order_id* reason", "ticket_order_id status refund_amount currency")
    d.add("transfer_tickets", "Transfer the tickets of an order to another person by email.",
          "ticket,transfer", "ticket_order_id* recipient_email*",
          "ticket_order_id transfer_id recipient_email status")
    return d


def real_estate() -> Domain:
    property_type = enum("Type of property.", "apartment house condo townhouse land")
    d = Domain(
        "real_estate",
        property_id=ident("Identifier of the property listing, as returned by search_properties."),
        viewing_id=ident("Identifier of the viewing appointment."),
        agent_id=ident("Identifier of the listing agent."),
        favorite_id=ident("Identifier of the saved listing."),
        title=string("Headline of the listing."),
        listing_type=enum("Whether the property is for sale or for rent.", "sale rent", default="sale"),
        property_type=property_type,
        min_price=money("Minimum price in the given currency."),
        price=money("Asking price, or monthly rent for rentals."),
        bedrooms=integer("Number of bedrooms.", minimum=0, maximum=20),
        bathrooms=number("Number of bathrooms (half baths count 0.5).", minimum=0, maximum=20),
        min_bedrooms=integer("Minimum number of bedrooms.", minimum=0, maximum=20),
        min_bathrooms=number("Minimum number of bathrooms.", minimum=0, maximum=20),
        area_sqm=number("Living area in square metres.", minimum=0),
        min_area_sqm=number("Minimum living area in square metres.", minimum=0),
        description=string("Description of the property."),
        year_built=nullable(integer("Year of construction, if known.", minimum=1700, maximum=2100)),
        features=array("Features, e.g. 'balcony'.", string("A feature.")),
        photos=array("Photo links.", uri("Photo link.")),
        listed_at=date("Date the property was listed."),
        listing_status=enum("Listing status.", "active pending sold rented"),
        scheduled_at=datetime("Date and time of the viewing."),
        viewing_status=enum("Viewing status.", "requested confirmed completed cancelled"),
        full_name=string("Full name of the person.", minLength=2, maxLength=100),
        agency=string("Agency the agent works for."),
        listings_count=integer("Active listings of the agent.", minimum=0),
        estimated_value=money("Estimated market value."),
        value_low=money("Lower bound of the estimate."),
        value_high=money("Upper bound of the estimate."),
        confidence=enum("Confidence of the estimate.", "low medium high"),
        property_price=money("Purchase price of the property."),
        down_payment=money("Amount paid up front."),
        interest_rate=number("Annual interest rate in percent, e.g. 6.5.", minimum=0, maximum=25),
        term_years=integer("Loan term in years.", minimum=5, maximum=40, default=30),
        loan_amount=money("Amount borrowed."),
        monthly_payment=money("Monthly principal and interest payment."),
        total_interest=money("Interest paid over the whole term."),
        note=nullable(string("Personal note about the listing.", maxLength=300)),
    )
    listing = ("property_id title address city listing_type property_type price currency bedrooms bathrooms "
               "area_sqm")
    viewing = "viewing_id property_id scheduled_at status=viewing_status"
    d.define(
        properties=d.records("Matching listings.", listing),
        viewings=d.records("Viewings, soonest first.", viewing),
        favorites=d.records("Saved listings.", "favorite_id property_id title price currency note"),
    )
    d.add("search_properties", "Search homes for sale or rent in a city.", "property,search",
          "city* listing_type property_type min_price max_price currency min_bedrooms min_bathrooms "
          "min_area_sqm limit", "properties total_results")
    d.add("get_property_details", "Get the description, features, photos and agent of a listing.",
          "property,details", "property_id*",
          f"{listing} description year_built features photos listed_at status=listing_status agent_id")
    d.add("get_agent_details", "Get the contact details of a listing agent.", "agent",
          "agent_id*", "agent_id full_name agency phone email rating listings_count",
          email=email("Email of the agent."), full_name=string("Full name of the agent."))
    d.add("schedule_viewing", "Book a viewing of a property.", "viewing,booking",
          "property_id* scheduled_at* full_name* email* phone", f"{viewing} agent_id",
          full_name=string("Full name of the person attending.", minLength=2, maxLength=100))
    d.add("reschedule_viewing", "Move a viewing to another date and time.", "viewing,change",
          "viewing_id* scheduled_at*", viewing)
    d.add("cancel_viewing", "Cancel a property viewing.", "viewing,cancel",
          "viewing_id* reason", "viewing_id status=viewing_status")
    d.add("list_viewings", "List the viewings booked with an email address.", "viewing",
          "email* status=viewing_status", "viewings")
    d.add("estimate_property_value", "Estimate the market value of a property.", "valuation",
          "address* property_type* bedrooms area_sqm",
          "address estimated_value value_low value_high currency confidence")
    d.add("calculate_mortgage", "Calculate the monthly payment of a fixed-rate mortgage.",
          "mortgage,calculator",
          "property_price* down_payment* interest_rate* term_years currency",
          "loan_amount monthly_payment total_interest term_years currency")
    d.add("add_favorite_property", "Save a listing to the user's favorites.", "favorites",
          "property_id* note", "favorite_id property_id note created_at")
    d.add("list_favorite_properties", "List the user's saved listings.", "favorites", "", "favorites")
    d.add("remove_favorite_property", "Remove a listing from the user's favorites.", "favorites",
          "favorite_id*", "favorite_id removed")
    return d


DOMAINS = (maps, weather, event_tickets, real_estate)

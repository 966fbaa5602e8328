"""Built-in API pool: flights, hotels, car rental and ride hailing."""

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
    obj,
    record,
    string,
    uri,
)

BOOKING_STATUS = "pending confirmed cancelled completed"
CABINS = "economy premium_economy business first"


def _iata(description: str) -> dict:
    return string(description, pattern="^[A-Z]{3}$")


def flights() -> Domain:
    d = Domain(
        "flights",
        flight_id=ident("Identifier of the flight offer, as returned by search_flights."),
        flight_booking_id=ident("Identifier of the flight booking."),
        airport_code=_iata("IATA code of the airport, e.g. 'LHR'."),
        name=string("Full name of the airport."),
        query=string("City, airport name or IATA code to look up.", minLength=2, maxLength=100),
        airline=string("Name of the operating airline."),
        flight_number=string("Flight number, e.g. 'LH400'.", pattern="^[A-Z0-9]{2}[0-9]{1,4}$"),
        origin=_iata("IATA code of the departure airport, e.g. 'JFK'."),
        destination=_iata("IATA code of the arrival airport, e.g. 'LHR'."),
        departure_date=date("Departure date in YYYY-MM-DD format."),
        departure_time=datetime("Scheduled local departure time."),
        arrival_time=datetime("Scheduled local arrival time."),
        duration_minutes=integer("Total travel time in minutes.", minimum=1),
        stops=integer("Number of stops.", minimum=0, maximum=3),
        max_stops=integer("Maximum number of stops.", minimum=0, maximum=3),
        cabin_class=enum("Cabin class of the fare.", CABINS, default="economy"),
        passengers=integer("Number of passengers.", minimum=1, maximum=9, default=1),
        seats_available=integer("Seats left at this fare.", minimum=0),
        aircraft=string("Aircraft model, e.g. 'Airbus A320'."),
        refundable=boolean("Whether the fare can be refunded."),
        baggage=obj("Included baggage allowance per passenger.", {
            "carry_on_kg": integer("Carry-on weight limit in kilograms.", minimum=0),
            "checked_bags": integer("Number of checked bags included.", minimum=0),
        }),
        flight_status=enum("Current flight status.",
                           "scheduled boarding departed in_air landed delayed cancelled"),
        gate=nullable(string("Departure gate, if assigned.")),
        estimated_departure=datetime("Estimated departure time."),
        estimated_arrival=datetime("Estimated arrival time."),
        delay_minutes=integer("Current delay in minutes.", minimum=0),
        passenger_list=array("Passengers on the booking.", record({
            "first_name": string("Passenger's first name as on the passport."),
            "last_name": string("Passenger's last name as on the passport."),
            "date_of_birth": date("Passenger's date of birth."),
            "passport_number": string("Passport number.", pattern="^[A-Z0-9]{6,9}$"),
        }, ["first_name", "last_name", "date_of_birth"]), minItems=1, maxItems=9),
        status=enum("Booking status.", BOOKING_STATUS),
        seat_number=string("Seat number, e.g. '14C'.", pattern="^[0-9]{1,2}[A-K]$"),
        seat_numbers=array("Assigned seats, if any.", string("Seat number, e.g. '14C'.")),
        seat_type=enum("Position of the seat.", "window middle aisle"),
        passenger_index=integer("Zero-based index of the passenger in the booking.", minimum=0, default=0),
        change_fee=money("Fee charged for the change."),
        extra_fee=money("Fee charged for the seat."),
        last_name=string("Last name of the lead passenger."),
        boarding_pass_url=uri("Link to the mobile boarding pass."),
        boarding_time=datetime("Time boarding starts."),
    )
    flight = ("flight_id airline flight_number origin destination departure_time arrival_time "
              "duration_minutes stops cabin_class price currency")
    d.define(
        airports=d.records("Matching airports.", "airport_code name city country_code"),
        flights=d.records("Matching flight offers, cheapest first.", flight),
        bookings=d.records("Flight bookings, most recent first.",
                           "flight_booking_id flight_id confirmation_code status departure_time"),
    )
    d.add("search_airports", "Find airports by city, airport name or IATA code.", "airport,search",
          "query* limit", "airports")
    d.add("search_flights", "Search one-way flight offers between two airports on a given date.",
          "flight,search",
          "origin* destination* departure_date* passengers cabin_class max_stops max_price currency airline",
          "flights total_results")
    d.add("get_flight_details", "Get the full details of a flight offer, including baggage and fare rules.",
          "flight,details", "flight_id*", f"{flight} aircraft baggage refundable seats_available")
    d.add("get_flight_status", "Get the real-time status of a flight by flight number and date.",
          "flight,status", "flight_number* date*",
          "flight_number date status=flight_status gate estimated_departure estimated_arrival delay_minutes")
    d.add("book_flight", "Book a flight offer for one or more passengers.", "flight,booking",
          "flight_id* passengers=passenger_list* email* phone",
          "flight_booking_id flight_id confirmation_code status total_price currency created_at",
          email=email("Contact email for the booking confirmation."))
    d.add("get_flight_booking", "Retrieve a flight booking with its passengers and seats.", "flight,booking",
          "flight_booking_id*",
          "flight_booking_id flight_id confirmation_code status passengers=passenger_list seat_numbers "
          "total_price currency email")
    d.add("list_flight_bookings", "List the flight bookings made with an email address.", "flight,booking",
          "email* status limit", "bookings")
    d.add("modify_flight_booking", "Move a flight booking to another flight offer, paying any change fee.",
          "flight,booking,change", "flight_booking_id* flight_id*",
          "flight_booking_id flight_id status change_fee currency",
          flight_id=ident("Identifier of the flight offer to move the booking to."))
    d.add("cancel_flight_booking", "Cancel a flight booking and refund it where the fare allows.",
          "flight,booking,cancel", "flight_booking_id* reason",
          "flight_booking_id status refund_amount currency")
    d.add("select_seat", "Choose a seat for a passenger on a booked flight.", "flight,seat",
          "flight_booking_id* seat_number* passenger_index",
          "flight_booking_id seat_number seat_type extra_fee currency")
    d.add("check_in_flight", "Check in online for a booked flight and get a boarding pass.",
          "flight,check-in", "flight_booking_id* last_name*",
          "flight_booking_id boarding_pass_url gate boarding_time seat_number")
    return d


def hotels() -> Domain:
    amenity = enum("An amenity.", "wifi pool parking gym breakfast spa pet_friendly air_conditioning")
    d = Domain(
        "hotels",
        hotel_id=ident("Identifier of the hotel, as returned by search_hotels."),
        room_id=ident("Identifier of the room offer, as returned by list_hotel_rooms."),
        hotel_booking_id=ident("Identifier of the hotel booking."),
        name=string("Name of the hotel."),
        description=string("Short description of the hotel."),
        title=string("Title of the review.", minLength=1, maxLength=120),
        min_review_rating=integer("Only reviews rated at least this, from 1 to 10.", minimum=1, maximum=10),
        review_id=ident("Identifier of the review."),
        check_in_date=date("Check-in date in YYYY-MM-DD format."),
        check_out_date=date("Check-out date in YYYY-MM-DD format."),
        guests=integer("Number of guests.", minimum=1, maximum=10, default=2),
        rooms=integer("Number of rooms.", minimum=1, maximum=5, default=1),
        star_rating=integer("Official star rating.", minimum=1, maximum=5),
        min_star_rating=integer("Minimum star rating.", minimum=1, maximum=5),
        guest_rating=number("Average guest rating from 0 to 10.", minimum=0, maximum=10),
        price_per_night=money("Nightly price in the given currency."),
        max_price_per_night=money("Maximum nightly price in the given currency."),
        amenities=array("Amenities offered or required.", amenity),
        sort_by=enum("Sort order of the results.", "price rating distance", default="price"),
        check_in_time=string("Earliest check-in time, e.g. '15:00'.", pattern=HHMM),
        check_out_time=string("Latest check-out time, e.g. '11:00'.", pattern=HHMM),
        room_type=string("Room type, e.g. 'Deluxe Double'."),
        max_occupancy=integer("Maximum number of guests in the room.", minimum=1),
        bed_type=enum("Bed configuration.", "single double queen king twin"),
        refundable=boolean("Whether the rate can be cancelled for free."),
        guest_name=string("Full name of the lead guest.", minLength=2, maxLength=100),
        special_requests=string("Requests for the hotel, e.g. 'late arrival'.", maxLength=500),
        status=enum("Booking status.", BOOKING_STATUS),
        author=string("Display name of the reviewer."),
        review_rating=integer("Rating from 1 to 10.", minimum=1, maximum=10),
        average_rating=number("Average guest rating from 0 to 10.", minimum=0, maximum=10),
        text=string("Body of the review.", maxLength=4000),
    )
    hotel = "hotel_id name city address star_rating guest_rating price_per_night currency"
    booking = ("hotel_booking_id hotel_id room_id check_in_date check_out_date guests status total_price "
               "currency")
    d.define(
        hotels=d.records("Hotels with availability.", hotel),
        rooms_offered=d.records(
            "Available room offers.",
            "room_id room_type max_occupancy bed_type price_per_night currency refundable"),
        bookings=d.records("Hotel bookings, most recent first.", booking),
        reviews=d.records("Reviews, most recent first.",
                          "review_id author rating=review_rating title text date"),
    )
    d.add("search_hotels", "Search hotels in a city with availability for the given dates.", "hotel,search",
          "city* check_in_date* check_out_date* guests rooms min_star_rating max_price_per_night currency "
          "amenities sort_by limit", "hotels total_results")
    d.add("get_hotel_details", "Get the description, amenities, policies and location of a hotel.",
          "hotel,details", "hotel_id*",
          f"{hotel} description amenities check_in_time check_out_time phone latitude longitude")
    d.add("list_hotel_rooms", "List the room offers of a hotel for the given dates.", "hotel,room",
          "hotel_id* check_in_date* check_out_date* guests", "hotel_id rooms=rooms_offered")
    d.add("book_hotel", "Book a hotel room for the given dates.", "hotel,booking",
          "room_id* check_in_date* check_out_date* guest_name* email* guests special_requests",
          f"{booking} confirmation_code")
    d.add("get_hotel_booking", "Retrieve a hotel booking.", "hotel,booking",
          "hotel_booking_id*", f"{booking} guest_name email special_requests?")
    d.add("list_hotel_bookings", "List the hotel bookings made with an email address.", "hotel,booking",
          "email* status", "bookings")
    d.add("modify_hotel_booking", "Change the dates, guest count or requests of a hotel booking.",
          "hotel,booking,change", "hotel_booking_id* check_in_date check_out_date guests special_requests",
          booking)
    d.add("cancel_hotel_booking", "Cancel a hotel booking under the cancellation policy of its rate.",
          "hotel,booking,cancel", "hotel_booking_id* reason",
          "hotel_booking_id status refund_amount currency")
    d.add("get_hotel_reviews", "Get recent guest reviews of a hotel.", "hotel,review",
          "hotel_id* min_rating=min_review_rating limit", "hotel_id average_rating review_count reviews")
    d.add("add_hotel_review", "Post a review of a hotel after a stay.", "hotel,review",
          "hotel_id* rating=review_rating* title* text", "review_id hotel_id rating=review_rating created_at")
    return d


def car_rental() -> Domain:
    extra = enum("An optional extra.", "gps child_seat additional_driver snow_chains")
    d = Domain(
        "car_rental",
        location_id=ident("Identifier of the rental location, as returned by search_rental_locations."),
        dropoff_location_id=ident("Identifier of the drop-off location, when different from pick-up."),
        car_id=ident("Identifier of the car offer, as returned by search_rental_cars."),
        rental_id=ident("Identifier of the car rental."),
        name=string("Name of the rental branch."),
        airport_code=nullable(_iata("IATA code of the airport branch, if any.")),
        opening_hours=string("Opening hours, e.g. '06:00-23:00'."),
        pickup_datetime=datetime("Pick-up date and time."),
        dropoff_datetime=datetime("Drop-off date and time."),
        car_class=enum("Vehicle class.", "economy compact midsize suv luxury van"),
        transmission=enum("Transmission type.", "automatic manual"),
        make=string("Car manufacturer, e.g. 'Toyota'."),
        model=string("Car model, e.g. 'Corolla'."),
        seats=integer("Number of seats.", minimum=2, maximum=9),
        price_per_day=money("Daily rate in the given currency."),
        max_price_per_day=money("Maximum daily rate in the given currency."),
        supplier=string("Rental company supplying the car."),
        features=array("Features of the car.", string("A feature, e.g. 'Bluetooth'.")),
        fuel_policy=enum("Fuel policy.", "full_to_full prepaid same_to_same"),
        mileage_limit_km=nullable(integer("Daily mileage limit in km; null when unlimited.", minimum=0)),
        deposit_amount=money("Security deposit held on the card."),
        driver_name=string("Full name of the main driver.", minLength=2, maxLength=100),
        driver_age=integer("Age of the main driver.", minimum=18, maximum=99),
        insurance=enum("Insurance cover.", "basic standard full", default="basic"),
        extras=array("Optional extras.", extra),
        status=enum("Rental status.", "reserved active completed cancelled"),
        additional_cost=money("Extra cost of the change."),
    )
    car = "car_id make model car_class transmission seats price_per_day total_price currency supplier"
    rental = ("rental_id car_id location_id dropoff_location_id pickup_datetime dropoff_datetime driver_name "
              "insurance extras status total_price currency")
    d.define(
        locations=d.records("Rental locations.", "location_id name city address airport_code opening_hours"),
        cars=d.records("Available cars, cheapest first.", car),
        rentals=d.records("Car rentals, most recent first.", rental),
    )
    d.add("search_rental_locations", "Find car rental pick-up locations in a city or at an airport.",
          "car,location", "city* airport_code", "locations", airport_code=_iata("IATA code of an airport."))
    d.add("search_rental_cars", "Search rental cars available at a location for a pick-up and drop-off time.",
          "car,search",
          "location_id* pickup_datetime* dropoff_datetime* dropoff_location_id car_class transmission "
          "max_price_per_day currency", "cars")
    d.add("get_rental_car_details", "Get the features, mileage and fuel policy of a rental car offer.",
          "car,details", "car_id*", f"{car} features fuel_policy mileage_limit_km deposit_amount")
    d.add("book_rental_car", "Reserve a rental car offer for a driver.", "car,booking",
          "car_id* driver_name* email* driver_age insurance extras",
          "rental_id car_id status confirmation_code total_price currency",
          email=email("Email for the reservation confirmation."))
    d.add("get_car_rental", "Retrieve a car rental reservation.", "car,booking", "rental_id*", rental)
    d.add("list_car_rentals", "List the car rentals made with an email address.", "car,booking",
          "email* status", "rentals")
    d.add("modify_car_rental", "Change the times, insurance or extras of a car rental.", "car,booking,change",
          "rental_id* pickup_datetime dropoff_datetime insurance extras", rental)
    d.add("extend_car_rental", "Extend an active car rental to a later drop-off time.", "car,booking",
          "rental_id* dropoff_datetime*", "rental_id dropoff_datetime additional_cost currency")
    d.add("cancel_car_rental", "Cancel a car rental reservation.", "car,booking,cancel",
          "rental_id* reason", "rental_id status cancellation_fee currency")
    return d


def ride_hailing() -> Domain:
    d = Domain(
        "ride_hailing",
        ride_id=ident("Identifier of the ride."),
        name=string("Marketing name of the ride type."),
        description=string("What the ride type offers."),
        ride_type=enum("Ride type.", "economy comfort xl premium shared", default="economy"),
        status=enum("Ride status.",
                    "scheduled requested driver_assigned arriving in_progress completed cancelled"),
        pickup_address=string("Pick-up address or place name.", minLength=3, maxLength=200),
        dropoff_address=string("Drop-off address or place name.", minLength=3, maxLength=200),
        pickup_time=datetime("Requested pick-up date and time."),
        passengers=integer("Number of passengers.", minimum=1, maximum=6, default=1),
        capacity=integer("Maximum number of passengers.", minimum=1),
        price_min=money("Lower bound of the fare."),
        price_max=money("Upper bound of the fare."),
        fare_estimate=money("Estimated fare."),
        fare=money("Fare charged."),
        eta_minutes=integer("Minutes until the driver arrives.", minimum=0),
        duration_minutes=integer("Estimated trip duration in minutes.", minimum=0),
        distance_km=number("Trip distance in kilometres.", minimum=0),
        driver_name=nullable(string("First name of the driver, once assigned.")),
        vehicle=nullable(obj("The driver's vehicle, once assigned.", {
            "make": string("Vehicle make."),
            "model": string("Vehicle model."),
            "color": string("Vehicle color."),
            "license_plate": string("License plate."),
        })),
        base_fare=money("Base fare."),
        distance_fare=money("Fare for the distance driven."),
        time_fare=money("Fare for the time spent."),
        surge_multiplier=number("Surge pricing multiplier.", minimum=1, maximum=5),
        tip_amount=money("Tip for the driver."),
        driver_rating=integer("Rating from 1 to 5 stars.", minimum=1, maximum=5),
        cancel_reason=enum("Reason for cancelling.", "changed_plans driver_too_far wrong_address other"),
    )
    booked = "ride_id status ride_type pickup_address dropoff_address fare_estimate currency"
    d.define(
        ride_types=d.records("Ride types available.", "ride_type name capacity description"),
        estimates=d.records(
            "Estimates per ride type.",
            "ride_type price_min price_max currency eta_minutes duration_minutes distance_km"),
        rides=d.records("Rides, most recent first.",
                        "ride_id date pickup_address dropoff_address fare currency status"),
    )
    d.add("list_ride_types", "List the ride types offered in a city.", "ride,catalog",
          "city*", "city ride_types")
    d.add("get_ride_estimates", "Get price and pick-up time estimates for a trip for each ride type.",
          "ride,price", "pickup_address* dropoff_address* passengers", "estimates")
    d.add("book_ride", "Request a ride now from a pick-up address to a drop-off address.", "ride,booking",
          "pickup_address* dropoff_address* ride_type passengers", f"{booked} eta_minutes")
    d.add("schedule_ride", "Schedule a ride for a later pick-up time.", "ride,booking,schedule",
          "pickup_address* dropoff_address* pickup_time* ride_type", f"{booked} pickup_time")
    d.add("get_ride_status", "Get the status, driver and vehicle of a ride.", "ride,status",
          "ride_id*", "ride_id status driver_name vehicle eta_minutes")
    d.add("update_ride_destination", "Change the drop-off address of a booked or ongoing ride.",
          "ride,change", "ride_id* dropoff_address*", "ride_id dropoff_address fare_estimate currency")
    d.add("cancel_ride", "Cancel a ride, with a fee if the driver is already on the way.", "ride,cancel",
          "ride_id* reason=cancel_reason", "ride_id status cancellation_fee currency")
    d.add("list_ride_history", "List past and upcoming rides of the account.", "ride,history",
          "start_date end_date limit", "rides")
    d.add("get_ride_receipt", "Get the fare breakdown of a completed ride.", "ride,receipt",
          "ride_id*",
          "ride_id base_fare distance_fare time_fare surge_multiplier tip_amount total_price currency")
    d.add("rate_driver", "Rate the driver of a completed ride and optionally add a tip.", "ride,rating",
          "ride_id* rating=driver_rating* tip_amount comment",
          "ride_id rating=driver_rating tip_amount currency")
    return d


DOMAINS = (flights, hotels, car_rental, ride_hailing)

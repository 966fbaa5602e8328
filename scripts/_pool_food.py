"""Built-in API pool: restaurants, food delivery and recipes."""

from __future__ import annotations

from _pool_common import (
    HHMM,
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
    string,
    uri,
)


def restaurants() -> Domain:
    d = Domain(
        "restaurants",
        restaurant_id=ident("Identifier of the restaurant, as returned by search_restaurants."),
        reservation_id=ident("Identifier of the table reservation."),
        review_id=ident("Identifier of the review."),
        name=string("Name of the restaurant."),
        cuisine=string("Cuisine, e.g. 'japanese' or 'tapas'."),
        price_level=integer("Price level from 1 (cheap) to 4 (expensive).", minimum=1, maximum=4),
        open_now=boolean("Only restaurants open right now.", default=False),
        website=nullable(uri("Website of the restaurant.")),
        opening_hours=array("Opening hours per weekday.", string("Hours, e.g. 'Tue 12:00-22:30'.")),
        dietary_options=array("Dietary options on the menu.",
                              enum("An option.", "vegetarian vegan gluten_free halal kosher")),
        accepts_reservations=boolean("Whether the restaurant takes reservations."),
        sections=array("Menu sections in order.", record({
            "section_name": string("Name of the section, e.g. 'Starters'."),
            "dishes": array("Dishes in the section.", record({
                "dish_name": string("Name of the dish."),
                "description": string("What the dish contains."),
                "price": money("Price of the dish."),
                "dietary_tags": array("Dietary labels.", string("A label, e.g. 'vegan'.")),
            })),
        })),
        party_size=integer("Number of people.", minimum=1, maximum=20),
        time=string("Reservation time in HH:MM (24-hour) format, e.g. '19:30'.", pattern=HHMM),
        available_times=array("Times with a free table.", string("A time, e.g. '19:30'.", pattern=HHMM)),
        guest_name=string("Name the reservation is under.", minLength=2, maxLength=100),
        special_requests=string("Requests such as 'high chair' or 'window table'.", maxLength=500),
        status=enum("Reservation status.", "confirmed seated completed cancelled no_show"),
        sort_by=enum("Sort order of the reviews.", "newest rating_high rating_low", default="newest"),
        author=string("Display name of the reviewer."),
        review_rating=integer("Rating from 1 to 5 stars.", minimum=1, maximum=5),
        text=string("Body of the review."),
    )
    restaurant = "restaurant_id name cuisine address city price_level rating review_count"
    reservation = "reservation_id restaurant_id date time party_size status"
    d.define(
        restaurants=d.records("Matching restaurants.", restaurant),
        reservations=d.records("Reservations, soonest first.", f"{reservation} name"),
        reviews=d.records("Reviews.", "review_id author rating=review_rating text date"),
    )
    d.add("search_restaurants", "Search restaurants in a city by cuisine, price and rating.",
          "restaurant,search", "city* cuisine price_level min_rating open_now limit",
          "restaurants total_results")
    d.add("get_restaurant_details", "Get the contact details, hours and dietary options of a restaurant.",
          "restaurant,details", "restaurant_id*",
          f"{restaurant} phone website opening_hours dietary_options accepts_reservations")
    d.add("get_restaurant_menu", "Get the menu of a restaurant with prices.", "restaurant,menu",
          "restaurant_id*", "restaurant_id currency sections")
    d.add("check_table_availability", "Check which times have a free table for a party on a date.",
          "reservation,availability", "restaurant_id* date* party_size* time",
          "restaurant_id date party_size available_times")
    d.add("book_table", "Reserve a table at a restaurant.", "reservation,booking",
          "restaurant_id* date* time* party_size* guest_name* phone email special_requests",
          f"{reservation} confirmation_code")
    d.add("get_reservation", "Retrieve a table reservation.", "reservation",
          "reservation_id*", f"{reservation} guest_name special_requests?")
    d.add("modify_reservation", "Change the date, time, party size or requests of a reservation.",
          "reservation,change", "reservation_id* date time party_size special_requests", reservation)
    d.add("cancel_reservation", "Cancel a table reservation.", "reservation,cancel",
          "reservation_id* reason", "reservation_id status")
    d.add("list_reservations", "List the table reservations made with an email address.", "reservation",
          "email* status start_date", "reservations")
    d.add("get_restaurant_reviews", "Get guest reviews of a restaurant.", "restaurant,review",
          "restaurant_id* sort_by limit", "restaurant_id rating review_count reviews")
    return d


def food_delivery() -> Domain:
    d = Domain(
        "food_delivery",
        store_id=ident("Identifier of the restaurant or shop on the delivery platform."),
        menu_item_id=ident("Identifier of a menu item, as returned by get_store_menu."),
        food_order_id=ident("Identifier of the delivery order."),
        delivery_address=string("Address to deliver to.", minLength=3, maxLength=200),
        name=string("Name of the store."),
        description=string("What the dish contains."),
        cuisine=string("Cuisine, e.g. 'thai' or 'pizza'."),
        delivery_fee=money("Delivery fee."),
        max_delivery_fee=money("Maximum delivery fee."),
        estimated_delivery_minutes=integer("Estimated minutes until delivery.", minimum=0),
        max_delivery_minutes=integer("Maximum acceptable delivery time in minutes.", minimum=10, maximum=120),
        minimum_order=money("Minimum order subtotal."),
        sort_by=enum("Sort order of the results.", "rating delivery_time delivery_fee distance",
                     default="rating"),
        item_name=string("Name of the dish."),
        item_category=string("Menu section, e.g. 'Mains'."),
        available=boolean("Whether the item can be ordered now."),
        dietary_tags=array("Dietary labels.", enum("A label.", "vegetarian vegan gluten_free spicy halal")),
        items=array("Items to order.", record({
            "menu_item_id": ident("Identifier of the menu item."),
            "quantity": integer("Number of portions.", minimum=1, maximum=20),
            "notes": string("Preparation notes, e.g. 'no onions'.", maxLength=200),
        }, ["menu_item_id", "quantity"]), minItems=1),
        payment_method=enum("Payment method.", "card cash wallet", default="card"),
        tip_amount=money("Tip for the courier."),
        delivery_instructions=string("Instructions for the courier, e.g. 'ring twice'.", maxLength=300),
        promo_code=string("Promotion code.", pattern="^[A-Z0-9]{4,16}$"),
        status=enum("Order status.", "placed preparing picked_up on_the_way delivered cancelled"),
        subtotal=money("Sum of the items."),
        discount_amount=money("Discount applied."),
        total_amount=money("Total charged."),
        estimated_delivery_time=datetime("Estimated delivery time."),
        courier_name=nullable(string("First name of the courier, once assigned.")),
        courier_location=nullable(obj("Current position of the courier.", {
            "latitude": number("Latitude in decimal degrees.", minimum=-90, maximum=90),
            "longitude": number("Longitude in decimal degrees.", minimum=-180, maximum=180),
        })),
        eta_minutes=integer("Minutes until delivery.", minimum=0),
        valid=boolean("Whether the code was accepted."),
        food_rating=integer("Rating of the food from 1 to 5.", minimum=1, maximum=5),
        courier_rating=integer("Rating of the courier from 1 to 5.", minimum=1, maximum=5),
    )
    d.define(
        stores=d.records("Stores that deliver to the address.",
                         "store_id name cuisine rating delivery_fee currency estimated_delivery_minutes "
                         "minimum_order"),
        menu=d.records("Menu items.", "menu_item_id name=item_name description category=item_category price "
                                      "currency available dietary_tags"),
        orders=d.records("Delivery orders, most recent first.",
                         "food_order_id store_id status total_amount currency created_at"),
    )
    totals = "subtotal delivery_fee total_amount currency"
    d.add("search_food_stores", "Find restaurants and shops that deliver to an address.", "delivery,search",
          "delivery_address* cuisine max_delivery_fee max_delivery_minutes min_rating sort_by limit",
          "stores")
    d.add("get_store_menu", "Get the menu of a store on the delivery platform.", "delivery,menu",
          "store_id*", "store_id name menu")
    d.add("create_food_order", "Place a delivery order from one store.", "delivery,order",
          "store_id* items* delivery_address* payment_method tip_amount delivery_instructions promo_code",
          f"food_order_id store_id status {totals} estimated_delivery_time")
    d.add("get_food_order", "Retrieve a delivery order with its items and totals.", "delivery,order",
          "food_order_id*",
          f"food_order_id store_id status items delivery_address {totals} tip_amount created_at")
    d.add("track_food_order", "Track the preparation and delivery of an order.", "delivery,tracking",
          "food_order_id*", "food_order_id status courier_name courier_location eta_minutes")
    d.add("update_food_order", "Change the address, instructions or tip of an order before pick-up.",
          "delivery,order,change", "food_order_id* delivery_address delivery_instructions tip_amount",
          "food_order_id delivery_address delivery_instructions tip_amount total_amount currency")
    d.add("cancel_food_order", "Cancel a delivery order.", "delivery,order,cancel",
          "food_order_id* reason", "food_order_id status refund_amount currency")
    d.add("list_food_orders", "List the customer's delivery orders.", "delivery,order",
          "status limit", "orders")
    d.add("apply_promo_code", "Apply a promotion code to an order that has not been picked up.",
          "delivery,promotion", "food_order_id* promo_code*",
          "food_order_id promo_code valid discount_amount total_amount currency")
    d.add("rate_food_order", "Rate the food and the courier of a delivered order.", "delivery,rating",
          "food_order_id* rating=food_rating* courier_rating comment",
          "food_order_id rating=food_rating courier_rating? created_at")
    return d


def recipes() -> Domain:
    unit = enum("Unit of measure.", "g kg oz lb ml l tsp tbsp cup fl_oz piece")
    d = Domain(
        "recipes",
        recipe_id=ident("Identifier of the recipe, as returned by search_recipes."),
        saved_recipe_id=ident("Identifier of the saved recipe."),
        meal_plan_id=ident("Identifier of the meal plan."),
        title=string("Title of the recipe."),
        cuisine=string("Cuisine, e.g. 'italian'."),
        diet=enum("Dietary restriction.", "vegetarian vegan gluten_free keto paleo dairy_free"),
        max_total_time_minutes=integer("Maximum total preparation and cooking time.", minimum=5, maximum=600),
        include_ingredients=array("Ingredients the recipe must use.", string("An ingredient.")),
        exclude_ingredients=array("Ingredients the recipe must not contain.", string("An ingredient.")),
        total_time_minutes=integer("Total preparation and cooking time in minutes.", minimum=0),
        prep_time_minutes=integer("Preparation time in minutes.", minimum=0),
        cook_time_minutes=integer("Cooking time in minutes.", minimum=0),
        servings=integer("Number of servings.", minimum=1, maximum=50),
        calories_per_serving=integer("Kilocalories per serving.", minimum=0),
        ingredient=string("Ingredient name, e.g. 'chickpeas'."),
        quantity=number("Amount in the given unit.", minimum=0),
        unit=unit,
        instructions=array("Preparation steps in order.", string("One step.")),
        tags=array("Recipe tags.", string("A tag, e.g. 'quick'.")),
        calories=integer("Kilocalories per serving.", minimum=0),
        protein_g=number("Protein per serving in grams.", minimum=0),
        carbs_g=number("Carbohydrates per serving in grams.", minimum=0),
        fat_g=number("Fat per serving in grams.", minimum=0),
        fiber_g=number("Fiber per serving in grams.", minimum=0),
        sodium_mg=number("Sodium per serving in milligrams.", minimum=0),
        available_ingredients=array("Ingredients the user has at hand.", string("An ingredient."),
                                    minItems=1),
        used_ingredients_count=integer("How many of the given ingredients the recipe uses.", minimum=0),
        missing_ingredients=array("Ingredients the user still needs.", string("An ingredient.")),
        collection_name=string("Recipe collection name.", default="Favorites"),
        days=integer("Number of days to plan.", minimum=1, maximum=14, default=7),
        calories_per_day=integer("Daily calorie target.", minimum=1000, maximum=5000),
        meal_type=enum("Meal of the day.", "breakfast lunch dinner snack"),
        aisle=string("Supermarket aisle, e.g. 'Produce'."),
        from_unit=unit,
        to_unit=unit,
        converted_quantity=number("Amount in the target unit.", minimum=0),
    )
    ingredients = d.records("Ingredients with quantities.", "name=ingredient quantity unit")
    d.define(
        ingredients=ingredients,
        recipes=d.records("Matching recipes.",
                          "recipe_id title cuisine total_time_minutes servings rating calories_per_serving"),
        matches=d.records("Recipes ranked by how many given ingredients they use.",
                          "recipe_id title used_ingredients_count missing_ingredients"),
        saved_recipes=d.records("Saved recipes.", "saved_recipe_id recipe_id title collection_name"),
        plan_days=array("Planned meals per day.", record({
            "date": date("Day of the plan."),
            "meals": d.records("Meals of the day.", "meal_type recipe_id title"),
        })),
        shopping_items=d.records("Ingredients to buy.", "ingredient quantity unit aisle"),
    )
    d.add("search_recipes", "Search recipes by keyword, cuisine, diet, time and ingredients.",
          "recipe,search",
          "query* cuisine diet max_total_time_minutes include_ingredients exclude_ingredients limit",
          "recipes total_results")
    d.add("get_recipe_details", "Get the ingredients and step-by-step instructions of a recipe.",
          "recipe,details", "recipe_id*",
          "recipe_id title cuisine servings prep_time_minutes cook_time_minutes ingredients "
          "instructions tags")
    d.add("get_nutrition_info", "Get the nutrition facts per serving of a recipe.", "recipe,nutrition",
          "recipe_id*", "recipe_id calories protein_g carbs_g fat_g fiber_g sodium_mg")
    d.add("scale_recipe", "Recalculate the ingredient quantities of a recipe for a number of servings.",
          "recipe,scale", "recipe_id* servings*", "recipe_id servings ingredients")
    d.add("find_recipes_by_ingredients", "Find recipes that use the ingredients the user already has.",
          "recipe,search", "available_ingredients* diet limit", "matches")
    d.add("save_recipe", "Save a recipe to one of the user's collections.", "recipe,favorites",
          "recipe_id* collection_name", "saved_recipe_id recipe_id collection_name created_at")
    d.add("list_saved_recipes", "List the user's saved recipes, optionally from one collection.",
          "recipe,favorites", "collection_name", "saved_recipes")
    d.add("delete_saved_recipe", "Remove a recipe from the user's saved recipes.", "recipe,favorites",
          "saved_recipe_id*", "saved_recipe_id deleted")
    d.add("create_meal_plan", "Generate a meal plan for a number of days from a start date.", "meal plan",
          "start_date* days diet calories_per_day", "meal_plan_id start_date days=plan_days created_at")
    d.add("generate_shopping_list", "Build the shopping list for a meal plan.", "meal plan,shopping",
          "meal_plan_id*", "meal_plan_id items=shopping_items")
    d.add("convert_cooking_units", "Convert a quantity between cooking units, using density where needed.",
          "cooking,units", "quantity* from_unit* to_unit* ingredient",
          "quantity from_unit converted_quantity to_unit")
    return d


DOMAINS = (restaurants, food_delivery, recipes)

"""Built-in API pool: music, smart home, news, translation and utilities."""

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
    string,
    uri,
)


def music() -> Domain:
    d = Domain(
        "music",
        track_id=ident("Identifier of the track, as returned by search_tracks."),
        artist_id=ident("Identifier of the artist, as returned by search_artists."),
        album_id=ident("Identifier of the album."),
        playlist_id=ident("Identifier of the playlist."),
        track_ids=array("Tracks to add or remove, in order.", ident("Identifier of a track."),
                        minItems=1, maxItems=100),
        seed_track_ids=array("Tracks to base the recommendations on.", ident("Identifier of a track."),
                             maxItems=5),
        seed_genres=array("Genres to base the recommendations on.", string("A genre, e.g. 'jazz'."),
                          maxItems=5),
        title=string("Title of the track."),
        artist_name=string("Name of the main artist."),
        album_title=string("Title of the album."),
        duration_seconds=integer("Length of the track in seconds.", minimum=1),
        explicit=boolean("Whether the track has explicit lyrics."),
        track_number=integer("Position of the track on the album.", minimum=1),
        genre=string("Genre, e.g. 'indie rock'."),
        year=integer("Release year.", minimum=1900, maximum=2100),
        name=string("Name of the artist."),
        query=string("Song title, artist or album words to look up.", minLength=1, maxLength=200),
        genres=array("Genres of the artist.", string("A genre.")),
        followers=integer("Number of followers.", minimum=0),
        release_date=date("Release date of the album."),
        playlist_name=string("Name of the playlist.", minLength=1, maxLength=100),
        description=string("Description of the playlist.", maxLength=300),
        public=boolean("Whether the playlist is visible to others.", default=False),
        tracks_count=integer("Number of tracks in the playlist.", minimum=0),
        total_duration_minutes=integer("Total playing time in minutes.", minimum=0),
        snapshot_id=string("Version of the playlist after the change.", format="uuid"),
        device_name=string("Device to play on, e.g. 'Living room speaker'; the active device when omitted."),
        is_playing=boolean("Whether playback is running."),
        started_at=datetime("When playback started."),
    )
    track = "track_id title artist_name artist_id album_id album_title duration_seconds explicit"
    playlist = "playlist_id name=playlist_name public tracks_count"
    d.define(
        tracks=d.records("Matching tracks.", track),
        album_tracks=d.records("Tracks of the album in order.",
                               "track_id title track_number duration_seconds"),
        artists=d.records("Matching artists.", "artist_id name genres followers"),
        playlists=d.records("The user's playlists.", playlist),
    )
    d.add("search_tracks", "Search songs by title, artist, genre or year.", "track,search",
          "query* artist=artist_name genre year limit", "tracks total_results",
          artist_name=string("Only tracks by this artist."))
    d.add("search_artists", "Search artists by name.", "artist,search", "query* limit", "artists")
    d.add("get_artist_top_tracks", "Get the most popular tracks of an artist.", "artist,track",
          "artist_id* country_code", "artist_id tracks")
    d.add("get_album_details", "Get the track list and release date of an album.", "album",
          "album_id*", "album_id title=album_title artist_name release_date tracks=album_tracks")
    d.add("create_playlist", "Create an empty playlist.", "playlist,create",
          "name=playlist_name* description public", f"{playlist} created_at")
    d.add("get_playlist", "Get a playlist with its tracks.", "playlist",
          "playlist_id*", f"{playlist} description tracks total_duration_minutes")
    d.add("list_playlists", "List the user's playlists.", "playlist", "limit", "playlists")
    d.add("add_tracks_to_playlist", "Add tracks to the end of a playlist.", "playlist,track",
          "playlist_id* track_ids*", "playlist_id tracks_count snapshot_id")
    d.add("remove_tracks_from_playlist", "Remove tracks from a playlist.", "playlist,track",
          "playlist_id* track_ids*", "playlist_id tracks_count snapshot_id")
    d.add("delete_playlist", "Delete a playlist.", "playlist,delete", "playlist_id*", "playlist_id deleted")
    d.add("play_track", "Start playing a track on one of the user's devices.", "playback",
          "track_id* device_name", "track_id is_playing device_name started_at")
    d.add("get_recommendations", "Recommend tracks similar to seed tracks or genres.", "recommendation",
          "seed_track_ids seed_genres limit", "tracks")
    return d


def smart_home() -> Domain:
    device_type = "light thermostat lock camera plug speaker blind sensor"
    command = enum("Command to send.",
                   "turn_on turn_off lock unlock set_brightness set_temperature open close")
    d = Domain(
        "smart_home",
        device_id=ident("Identifier of the device, as returned by list_devices."),
        automation_id=ident("Identifier of the automation."),
        scene_id=ident("Identifier of the scene, as returned by list_scenes."),
        room=string("Room, e.g. 'Kitchen'."),
        device_type=enum("Kind of device.", device_type),
        name=string("Name of the device."),
        online=boolean("Whether the device is reachable."),
        state_summary=string("Short description of the state, e.g. 'on, 60%'."),
        power=enum("Power state.", "on off"),
        brightness=integer("Brightness in percent.", minimum=0, maximum=100),
        color_hex=string("Light color as a hex code, e.g. '#FFAA00'.", pattern="^#[0-9A-Fa-f]{6}$"),
        color_temperature_k=integer("White color temperature in kelvin.", minimum=2000, maximum=6500),
        target_temperature=number("Temperature to reach.", minimum=5, maximum=35),
        current_temperature=nullable(number("Measured temperature, if the device has a sensor.")),
        temperature_unit=enum("Temperature unit.", "celsius fahrenheit", default="celsius"),
        thermostat_mode=enum("Thermostat mode.", "heat cool auto eco off"),
        locked=boolean("Whether the lock is locked."),
        battery_percent=nullable(integer("Battery level in percent, for battery devices.", minimum=0,
                                         maximum=100)),
        automation_name=string("Name of the automation, e.g. 'Lights off at midnight'.", minLength=1,
                               maxLength=100),
        trigger=obj("What starts the automation.", {
            "type": enum("Kind of trigger.", "time sunrise sunset device_state"),
            "time": string("Time of day for time triggers, e.g. '23:00'.",
                           pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$"),
            "device_id": string("Device watched by device_state triggers."),
        }, ["type"]),
        actions=array("What the automation does, in order.", {
            "type": "object",
            "properties": {
                "device_id": string("Device to control."),
                "command": command,
                "value": nullable(number("Value for set_brightness or set_temperature.")),
            },
            "required": ["device_id", "command"],
        }, minItems=1),
        trigger_type=enum("Kind of trigger.", "time sunrise sunset device_state"),
        enabled=boolean("Whether the automation is active."),
        devices_count=integer("Number of devices in the scene.", minimum=0),
        devices_affected=integer("Number of devices that changed state.", minimum=0),
        activated_at=datetime("When the scene was activated."),
        granularity=enum("Time bucket of the breakdown.", "hour day month", default="day"),
        total_kwh=number("Energy used in kilowatt-hours.", minimum=0),
        cost=money("Estimated cost of the energy used."),
        breakdown=array("Energy per time bucket.", {
            "type": "object",
            "properties": {
                "period_start": datetime("Start of the bucket."),
                "kwh": number("Energy used in kilowatt-hours.", minimum=0),
            },
            "required": ["period_start", "kwh"],
        }),
    )
    d.define(
        devices=d.records("Devices in the home.", "device_id name device_type room online state_summary"),
        automations=d.records("Automations.", "automation_id name=automation_name enabled trigger_type"),
        scenes=d.records("Scenes.", "scene_id name room devices_count"),
    )
    d.add("list_devices", "List the smart home devices, optionally by room or type.", "device",
          "room device_type", "devices")
    d.add("get_device_state", "Get the current state of a device.", "device,state",
          "device_id*", "device_id name device_type online power brightness? current_temperature? locked? "
                        "battery_percent updated_at")
    d.add("set_light_state", "Turn a light on or off and set its brightness or color.", "light,control",
          "device_id* power brightness color_hex color_temperature_k",
          "device_id power brightness color_hex? updated_at")
    d.add("set_thermostat", "Set the target temperature and mode of a thermostat.", "thermostat,control",
          "device_id* target_temperature* mode=thermostat_mode unit=temperature_unit",
          "device_id target_temperature current_temperature mode=thermostat_mode unit=temperature_unit")
    d.add("set_lock_state", "Lock or unlock a smart lock.", "lock,security",
          "device_id* locked*", "device_id locked updated_at")
    d.add("list_scenes", "List the scenes configured in the home.", "scene", "room", "scenes")
    d.add("activate_scene", "Activate a scene, setting all its devices at once.", "scene,control",
          "scene_id*", "scene_id activated_at devices_affected")
    d.add("create_automation", "Create an automation that runs device commands on a trigger.", "automation",
          "name=automation_name* trigger* actions*", "automation_id name=automation_name enabled created_at")
    d.add("list_automations", "List the automations of the home.", "automation", "", "automations")
    d.add("update_automation", "Rename, enable or disable an automation.", "automation,change",
          "automation_id* name=automation_name enabled",
          "automation_id name=automation_name enabled updated_at")
    d.add("delete_automation", "Delete an automation.", "automation,delete",
          "automation_id*", "automation_id deleted")
    d.add("get_energy_usage", "Get the energy used by the home or one device over a date range.",
          "energy", "start_date* end_date* device_id granularity",
          "total_kwh cost currency breakdown",
          device_id=ident("Only this device; the whole home when omitted."))
    return d


def news() -> Domain:
    category = enum("News category.",
                    "business technology science health sports entertainment politics world")
    d = Domain(
        "news",
        article_id=ident("Identifier of the news article."),
        source_id=ident("Identifier of the news source, as returned by list_news_sources."),
        bookmark_id=ident("Identifier of the bookmark."),
        news_alert_id=ident("Identifier of the news alert."),
        title=string("Headline of the article."),
        url=uri("Link to the article on the publisher's site."),
        source_url=uri("Home page of the news source."),
        source_name=string("Name of the publication."),
        author=nullable(string("Author of the article, if credited.")),
        published_at=datetime("When the article was published."),
        summary=string("Short summary of the article."),
        category=category,
        content=string("Full text of the article."),
        image_url=nullable(uri("Lead image of the article.")),
        word_count=integer("Length of the article in words.", minimum=0),
        tags=array("Topics of the article.", string("A topic.")),
        sources=array("Only these sources.", ident("Identifier of a news source.")),
        from_date=date("Only articles published on or after this date."),
        to_date=date("Only articles published on or before this date."),
        sort_by=enum("Sort order.", "relevance published_at popularity", default="published_at"),
        name=string("Name of the publication."),
        max_sentences=integer("Maximum length of the summary in sentences.", minimum=1, maximum=10,
                              default=3),
        key_points=array("Main points of the article.", string("A point.")),
        collection=string("Bookmark collection.", default="Read later"),
        keywords=string("Words or phrase to watch for, e.g. 'electric vehicles'.", minLength=2,
                        maxLength=100),
        frequency=enum("How often to send matches.", "realtime daily weekly", default="daily"),
    )
    article = "article_id title source_name author published_at url summary category"
    d.define(
        articles=d.records("Articles, most relevant first.", article),
        sources_list=d.records("News sources.",
                               "source_id name url=source_url category country_code language"),
        bookmarks=d.records("Bookmarked articles.", "bookmark_id article_id title collection created_at"),
    )
    d.add("get_top_headlines", "Get the top headlines, optionally by country, category or language.",
          "headline", "country_code category language limit", "articles")
    d.add("search_news", "Search news articles by keyword and date range.", "article,search",
          "query* from_date to_date sources language sort_by limit", "articles total_results")
    d.add("get_article", "Get the full text of a news article.", "article",
          "article_id*", f"{article} content image_url word_count tags")
    d.add("summarize_article", "Summarize a news article in a few sentences.", "article,summary",
          "article_id* max_sentences", "article_id summary key_points")
    d.add("list_news_sources", "List the available news sources.", "source",
          "category country_code language", "sources=sources_list")
    d.add("get_headlines_by_source", "Get the latest headlines of one news source.", "source,headline",
          "source_id* limit", "source_id articles")
    d.add("add_bookmark", "Bookmark an article to read later.", "bookmark",
          "article_id* collection", "bookmark_id article_id collection created_at")
    d.add("list_bookmarks", "List the user's bookmarked articles.", "bookmark", "collection", "bookmarks")
    d.add("remove_bookmark", "Remove a bookmark.", "bookmark", "bookmark_id*", "bookmark_id removed")
    d.add("create_news_alert", "Get emailed when new articles match keywords.", "alert",
          "keywords* email* frequency", "news_alert_id keywords email frequency created_at",
          email=string("Email that receives the alerts.", format="email"))
    d.add("delete_news_alert", "Delete a news alert.", "alert", "news_alert_id*", "news_alert_id deleted")
    return d


def translation() -> Domain:
    lang = "^[a-z]{2}(-[A-Z]{2})?$"
    d = Domain(
        "translation",
        glossary_id=ident("Identifier of the glossary."),
        text=string("Text to process.", minLength=1, maxLength=5000),
        texts=array("Short texts to translate.", string("A text.", minLength=1, maxLength=500),
                    minItems=1, maxItems=50),
        source_language=string("Language of the input (ISO 639-1); detected when omitted.", pattern=lang),
        target_language=string("Language to translate into (ISO 639-1), e.g. 'de'.", pattern=lang),
        detected_language=string("Language detected in the input (ISO 639-1).", pattern=lang),
        formality=enum("Register of the translation.", "default formal informal", default="default"),
        translated_text=string("The translation."),
        character_count=integer("Characters billed.", minimum=0),
        confidence=number("Confidence from 0 to 1.", minimum=0, maximum=1),
        alternatives=array("Other likely languages.", {
            "type": "object",
            "properties": {
                "language": string("Language code (ISO 639-1).", pattern=lang),
                "confidence": number("Confidence from 0 to 1.", minimum=0, maximum=1),
            },
            "required": ["language", "confidence"],
        }),
        display_language=string("Language for the language names (ISO 639-1).", pattern=lang, default="en"),
        language_name=string("Name of the language, e.g. 'German'."),
        supports_formality=boolean("Whether formal/informal register is supported."),
        source_text=string("Original text."),
        name=string("Name of the glossary.", minLength=1, maxLength=100),
        source_term=string("Term in the source language.", minLength=1, maxLength=200),
        target_term=string("Required translation of the term.", minLength=1, maxLength=200),
        entry_count=integer("Number of entries.", minimum=0),
        target_script=enum("Script to write the text in.", "latin cyrillic greek arabic hebrew devanagari"),
        transliterated_text=string("The text in the target script."),
    )
    glossary = "glossary_id name source_language target_language entry_count"
    d.define(
        languages=d.records("Supported languages.", "language name=language_name supports_formality"),
        translations=d.records("Translations in input order.", "source_text translated_text"),
        entries=d.records("Glossary entries.", "source_term target_term"),
        glossaries=d.records("The user's glossaries.", glossary),
    )
    d.add("translate_text", "Translate text into another language.", "translation",
          "text* target_language* source_language formality glossary_id",
          "translated_text detected_language target_language character_count")
    d.add("translate_phrases", "Translate several short texts in one request.", "translation,batch",
          "texts* target_language* source_language", "target_language translations")
    d.add("detect_language", "Detect the language of a text.", "language detection",
          "text*", "language confidence alternatives")
    d.add("list_supported_languages", "List the languages the translator supports.", "language",
          "display_language", "languages")
    d.add("transliterate_text", "Write text in another script without translating it.", "transliteration",
          "text* target_script* source_language", "text transliterated_text target_script")
    d.add("create_glossary", "Create a glossary that fixes how terms are translated.", "glossary,create",
          "name* source_language* target_language* entries", f"{glossary} created_at",
          source_language=string("Source language of the glossary (ISO 639-1).", pattern=lang))
    d.add("get_glossary", "Get a glossary with its entries.", "glossary",
          "glossary_id*", f"{glossary} entries")
    d.add("list_glossaries", "List the user's glossaries.", "glossary", "", "glossaries")
    d.add("add_glossary_entry", "Add a term and its required translation to a glossary.", "glossary",
          "glossary_id* source_term* target_term*", "glossary_id entry_count")
    d.add("delete_glossary", "Delete a glossary.", "glossary,delete", "glossary_id*", "glossary_id deleted")
    return d


def utilities() -> Domain:
    d = Domain(
        "utilities",
        short_url_id=ident("Identifier of the short link."),
        value=number("Quantity to convert."),
        from_unit=string("Unit to convert from, e.g. 'mi', 'kg', 'degF'.", minLength=1, maxLength=20),
        to_unit=string("Unit to convert to, e.g. 'km', 'lb', 'degC'.", minLength=1, maxLength=20),
        result=number("Converted quantity."),
        time_zone=string("IANA time zone, e.g. 'Asia/Tokyo'.", pattern="^[A-Za-z_]+(/[A-Za-z_+-]+)*$"),
        local_time=datetime("Current local date and time."),
        utc_offset=string("Offset from UTC, e.g. '+09:00'.", pattern="^[+-][0-9]{2}:[0-9]{2}$"),
        datetime_value=datetime("Date and time to convert."),
        from_time_zone=string("IANA time zone of the input, e.g. 'America/New_York'."),
        to_time_zone=string("IANA time zone to convert to, e.g. 'Europe/Berlin'."),
        converted_time=datetime("The same instant in the target time zone."),
        bill_amount=money("Bill total before tip."),
        tip_percent=number("Tip in percent of the bill.", minimum=0, maximum=100),
        split_between=integer("Number of people sharing the bill.", minimum=1, maximum=50, default=1),
        tip_amount=money("Tip amount."),
        total_amount=money("Bill plus tip."),
        per_person=money("Amount each person pays."),
        length=integer("Number of characters.", minimum=8, maximum=128, default=16),
        include_symbols=boolean("Whether to include symbols.", default=True),
        include_numbers=boolean("Whether to include digits.", default=True),
        password=string("The generated password."),
        strength=enum("Estimated strength.", "weak fair strong very_strong"),
        long_url=string("Link to shorten.", format="uri", maxLength=2048),
        custom_alias=string("Custom path for the short link.", pattern="^[A-Za-z0-9_-]{3,30}$"),
        short_url=uri("The short link."),
        clicks=integer("Total clicks.", minimum=0),
        unique_visitors=integer("Distinct visitors.", minimum=0),
        last_clicked_at=nullable(datetime("Most recent click, if any.")),
        year=integer("Calendar year.", minimum=1900, maximum=2100),
        holiday_name=string("Name of the holiday in English."),
        local_name=string("Name of the holiday in the local language."),
        nationwide=boolean("Whether the holiday applies to the whole country."),
        is_valid=boolean("Whether the address is syntactically valid and deliverable."),
        is_disposable=boolean("Whether the domain is a disposable-email provider."),
        domain=string("Domain part of the address."),
        mx_found=boolean("Whether the domain has mail servers."),
        business_days_only=boolean("Count only Monday to Friday.", default=False),
        days=integer("Calendar days between the dates.", minimum=0),
        weeks=number("Weeks between the dates.", minimum=0),
        business_days=integer("Working days between the dates.", minimum=0),
    )
    d.define(
        holidays=d.records("Public holidays in date order.", "date name=holiday_name local_name nationwide"),
    )
    d.add("convert_units", "Convert a quantity between units of length, mass, volume or temperature.",
          "conversion,units", "value* from_unit* to_unit*", "value from_unit to_unit result")
    d.add("get_current_time", "Get the current local time in a city or time zone.", "time",
          "city time_zone", "city? time_zone local_time utc_offset")
    d.add("convert_time_zone", "Convert a date and time from one time zone to another.", "time,conversion",
          "datetime=datetime_value* from_time_zone* to_time_zone*",
          "datetime=datetime_value from_time_zone to_time_zone converted_time")
    d.add("calculate_tip", "Calculate a tip and split the bill.", "calculator,tip",
          "bill_amount* tip_percent* split_between currency",
          "tip_amount total_amount per_person currency")
    d.add("generate_password", "Generate a random password.", "security,password",
          "length include_symbols include_numbers", "password strength")
    d.add("shorten_url", "Create a short link for a long URL.", "url,create",
          "long_url* custom_alias", "short_url_id short_url long_url created_at")
    d.add("get_short_url_stats", "Get click statistics of a short link.", "url,analytics",
          "short_url_id*", "short_url_id short_url clicks unique_visitors last_clicked_at")
    d.add("delete_short_url", "Delete a short link.", "url,delete", "short_url_id*", "short_url_id deleted")
    d.add("get_public_holidays", "List the public holidays of a country in a year.", "calendar,holiday",
          "country_code* year*", "country_code year holidays")
    d.add("validate_email_address", "Check whether an email address is valid and deliverable.",
          "validation,email", "email*", "email is_valid is_disposable domain mx_found",
          email=string("Email address to check.", format="email"))
    d.add("calculate_date_difference", "Count the days, weeks and working days between two dates.",
          "calculator,date", "start_date* end_date* business_days_only",
          "start_date end_date days weeks business_days")
    return d


DOMAINS = (music, smart_home, news, translation, utilities)

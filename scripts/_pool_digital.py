"""Built-in API pool: calendar, email, messaging and cloud storage."""

from __future__ import annotations

from _pool_common import (
    HHMM,
    Domain,
    array,
    boolean,
    datetime,
    email,
    enum,
    ident,
    integer,
    nullable,
    record,
    string,
    uri,
)


def calendar() -> Domain:
    response = "accepted declined tentative needs_action"
    d = Domain(
        "calendar",
        event_id=ident("Identifier of the calendar event."),
        calendar_id=ident("Identifier of the calendar."),
        title=string("Title of the event.", minLength=1, maxLength=200),
        start_time=datetime("Start of the event, with time zone offset."),
        end_time=datetime("End of the event, with time zone offset."),
        description=string("Notes or agenda of the event.", maxLength=4000),
        location=nullable(string("Where the event takes place, or a meeting room.", maxLength=200)),
        attendees=array("Email addresses of the people to invite.", email("Email of an attendee.")),
        attendee_list=array("Invited people and their responses.", record({
            "email": email("Email of the attendee."),
            "response_status": enum("The attendee's response.", response),
            "optional": boolean("Whether attendance is optional."),
        })),
        reminder_minutes=integer("Minutes before the start to send a reminder.", minimum=0, maximum=40320),
        recurrence=enum("How the event repeats.", "none daily weekdays weekly monthly yearly",
                        default="none"),
        video_call=boolean("Whether to attach a video call link.", default=False),
        video_call_url=nullable(uri("Video call link, if any.")),
        status=enum("Event status.", "confirmed tentative cancelled"),
        html_link=uri("Link to the event in the calendar web app."),
        time_min=datetime("Only events ending after this time."),
        time_max=datetime("Only events starting before this time."),
        name=string("Name of the calendar.", minLength=1, maxLength=100),
        time_zone=string("IANA time zone, e.g. 'Europe/Paris'.", pattern="^[A-Za-z_]+(/[A-Za-z_+-]+)*$"),
        is_primary=boolean("Whether this is the user's primary calendar."),
        color=string("Color as a hex code, e.g. '#1E88E5'.", pattern="^#[0-9A-Fa-f]{6}$"),
        duration_minutes=integer("Length of the meeting in minutes.", minimum=5, maximum=480),
        working_hours_start=string("Earliest start time, e.g. '09:00'.", pattern=HHMM, default="09:00"),
        working_hours_end=string("Latest end time, e.g. '17:00'.", pattern=HHMM, default="17:00"),
        optional=boolean("Whether attendance is optional.", default=False),
        response=enum("Response to the invitation.", "accepted declined tentative"),
        response_status=enum("The attendee's response.", response),
        notify_attendees=boolean("Whether to email the attendees about the change.", default=True),
        method=enum("How the reminder is delivered.", "popup email", default="popup"),
        reminders=array("Reminders of the event.", record({
            "minutes_before": integer("Minutes before the start.", minimum=0),
            "method": enum("How the reminder is delivered.", "popup email"),
        })),
    )
    event = "event_id title start_time end_time location calendar_id status"
    d.define(
        events=d.records("Events in chronological order.", event),
        calendars=d.records("The user's calendars.", "calendar_id name time_zone is_primary color"),
        slots=d.records("Free slots common to all attendees.", "start_time end_time"),
    )
    d.add("create_event", "Create a calendar event and invite attendees.", "event,create",
          "title* start_time* end_time* description location attendees calendar_id reminder_minutes "
          "recurrence video_call", f"{event} html_link video_call_url",
          calendar_id=ident("Identifier of the calendar; the primary calendar when omitted."))
    d.add("get_event", "Get the details and attendee responses of a calendar event.", "event",
          "event_id*", f"{event} description attendees=attendee_list recurrence video_call_url html_link")
    d.add("list_events", "List calendar events in a time range, optionally matching a query.", "event,search",
          "time_min time_max calendar_id query limit", "events",
          calendar_id=ident("Only events of this calendar; all calendars when omitted."))
    d.add("update_event", "Change the title, time, place or notes of a calendar event.", "event,change",
          "event_id* title start_time end_time location description notify_attendees", f"{event} updated_at")
    d.add("delete_event", "Delete a calendar event, notifying attendees if asked.", "event,delete",
          "event_id* notify_attendees", "event_id deleted")
    d.add("add_event_attendee", "Invite one more person to a calendar event.", "event,attendee",
          "event_id* email* optional", "event_id email response_status",
          email=email("Email of the person to invite."))
    d.add("respond_to_event", "Accept, decline or tentatively accept an invitation.", "event,rsvp",
          "event_id* response* comment", "event_id response_status")
    d.add("set_event_reminder", "Add a reminder to a calendar event.", "event,reminder",
          "event_id* reminder_minutes* method", "event_id reminders")
    d.add("find_available_time_slots", "Find times on a date when all attendees are free.", "scheduling",
          "attendees* date* duration_minutes* working_hours_start working_hours_end", "date slots")
    d.add("list_calendars", "List the calendars the user can see.", "calendar", "", "calendars")
    d.add("create_calendar", "Create a new secondary calendar.", "calendar,create",
          "name* time_zone color", "calendar_id name time_zone color created_at")
    return d


def email_domain() -> Domain:
    folder = enum("Mailbox folder.", "inbox sent drafts spam trash archive", default="inbox")
    address_list = array("Recipient email addresses.", email("A recipient's email address."), minItems=1)
    d = Domain(
        "email",
        message_id=ident("Identifier of the email message."),
        thread_id=ident("Identifier of the conversation thread."),
        draft_id=ident("Identifier of the draft."),
        attachment_id=ident("Identifier of the attachment, as listed by get_email."),
        to=address_list,
        cc=array("Carbon-copy email addresses.", email("A recipient's email address.")),
        bcc=array("Blind carbon-copy email addresses.", email("A recipient's email address.")),
        subject=string("Subject line.", maxLength=250),
        body=string("Body text of the email.", maxLength=20000),
        is_html=boolean("Whether the body is HTML.", default=False),
        sent_at=datetime("When the email was sent."),
        received_at=datetime("When the email was received."),
        status=enum("Delivery status.", "sent queued failed"),
        folder=folder,
        sender=email("Email address of the sender."),
        unread_only=boolean("Only unread emails.", default=False),
        has_attachment=boolean("Only emails with attachments.", default=False),
        after=datetime("Only emails received after this time."),
        before=datetime("Only emails received before this time."),
        snippet=string("First words of the body."),
        is_read=boolean("Whether the email has been read."),
        has_attachments=boolean("Whether the email has attachments."),
        labels=array("Labels of the email.", string("A label, e.g. 'Receipts'.")),
        reply_all=boolean("Whether to reply to all recipients.", default=False),
        note=string("Text to add above the forwarded message.", maxLength=5000),
        permanent=boolean("Delete permanently instead of moving to trash.", default=False),
        add_labels=array("Labels to add.", string("A label.")),
        remove_labels=array("Labels to remove.", string("A label.")),
        mark_read=boolean("Mark as read (true) or unread (false)."),
        filename=string("File name of the attachment."),
        mime_type=string("MIME type, e.g. 'application/pdf'."),
        size_bytes=integer("Size in bytes.", minimum=0),
        download_url=uri("Temporary download link."),
    )
    d.define(
        emails=d.records("Matching emails, newest first.",
                         "message_id thread_id sender subject snippet received_at is_read has_attachments "
                         "labels"),
        attachments=d.records("Attachments of the email.", "attachment_id filename mime_type size_bytes"),
    )
    d.add("send_email", "Send an email.", "email,send",
          "to* subject* body* cc bcc is_html", "message_id thread_id status sent_at")
    d.add("search_emails", "Search the mailbox by keyword, sender, folder, date or flags.", "email,search",
          "query folder sender unread_only has_attachment after before limit", "emails total_results")
    d.add("get_email", "Get the full content and attachments of an email.", "email,read",
          "message_id*", "message_id thread_id sender to cc subject body received_at labels attachments")
    d.add("reply_to_email", "Reply to an email in the same thread.", "email,reply",
          "message_id* body* reply_all", "message_id thread_id sent_at",
          message_id=ident("Identifier of the email message to reply to."))
    d.add("forward_email", "Forward an email to other recipients.", "email,forward",
          "message_id* to* note", "message_id thread_id sent_at",
          message_id=ident("Identifier of the email message to forward."))
    d.add("create_draft", "Save an email draft without sending it.", "email,draft",
          "to* subject* body cc", "draft_id subject created_at")
    d.add("update_draft", "Change the recipients, subject or body of a draft.", "email,draft",
          "draft_id* to subject body cc", "draft_id subject updated_at")
    d.add("send_draft", "Send a saved draft.", "email,draft,send", "draft_id*", "draft_id message_id sent_at")
    d.add("delete_email", "Move an email to the trash or delete it permanently.", "email,delete",
          "message_id* permanent", "message_id deleted folder")
    d.add("update_email_labels", "Add or remove labels of an email and mark it read or unread.",
          "email,label", "message_id* add_labels remove_labels mark_read", "message_id labels is_read")
    d.add("get_attachment", "Get a download link for an email attachment.", "email,attachment",
          "message_id* attachment_id*", "attachment_id filename mime_type size_bytes download_url")
    return d


def messaging() -> Domain:
    d = Domain(
        "messaging",
        contact_id=ident("Identifier of the contact, as returned by search_contacts."),
        conversation_id=ident("Identifier of the conversation."),
        chat_message_id=ident("Identifier of the chat message."),
        display_name=string("Name shown for the contact."),
        query=string("Name, username or phone number to look up.", minLength=1, maxLength=100),
        username=nullable(string("Username of the contact.", pattern="^@?[A-Za-z0-9_.]{2,32}$")),
        text=string("Message text.", minLength=1, maxLength=4000),
        title=string("Name of the conversation."),
        name=string("Name of the group chat.", minLength=1, maxLength=100),
        participants=array("Names of the participants.", string("A participant.")),
        participants_count=integer("Number of participants.", minimum=2),
        contact_ids=array("Contacts to add to the group.", ident("Identifier of a contact."), minItems=2),
        last_message_preview=string("Start of the last message."),
        last_message_at=datetime("When the last message was sent."),
        unread_count=integer("Number of unread messages.", minimum=0),
        unread_only=boolean("Only conversations with unread messages.", default=False),
        sender_name=string("Name of the sender."),
        sent_at=datetime("When the message was sent."),
        edited_at=datetime("When the message was edited."),
        is_read=boolean("Whether the message has been read."),
        status=enum("Delivery status.", "sent delivered read failed"),
        before=datetime("Only messages sent before this time."),
        reply_to_id=ident("Identifier of the message being replied to."),
        for_everyone=boolean("Delete for all participants, not only for the user.", default=False),
        emoji=string("Emoji reaction, e.g. '👍'.", minLength=1, maxLength=8),
        reaction_count=integer("Number of reactions with this emoji.", minimum=1),
        duration_hours=integer("How long to mute; forever when omitted.", minimum=1, maximum=8760),
        muted_until=nullable(datetime("End of the mute; null when muted indefinitely.")),
    )
    d.define(
        contacts=d.records("Matching contacts.", "contact_id display_name phone username"),
        conversations=d.records("Conversations, most recent first.",
                                "conversation_id title participants last_message_preview last_message_at "
                                "unread_count"),
        messages=d.records("Messages, newest first.", "chat_message_id sender_name text sent_at is_read"),
    )
    sent = "chat_message_id conversation_id status sent_at"
    d.add("search_contacts", "Find contacts by name, username or phone number.", "contact,search",
          "query* limit", "contacts")
    d.add("list_conversations", "List the user's conversations.", "conversation",
          "unread_only limit", "conversations")
    d.add("send_message", "Send a direct message to a contact.", "message,send",
          "contact_id* text* reply_to_id", sent)
    d.add("send_group_message", "Send a message to a group conversation.", "message,send,group",
          "conversation_id* text* reply_to_id", sent)
    d.add("list_messages", "List the messages of a conversation.", "message",
          "conversation_id* before limit", "conversation_id messages")
    d.add("create_group_chat", "Create a group conversation with several contacts.", "group,create",
          "name* contact_ids*", "conversation_id name participants_count created_at")
    d.add("add_group_member", "Add a contact to a group conversation.", "group,member",
          "conversation_id* contact_id*", "conversation_id contact_id participants_count")
    d.add("update_message", "Edit the text of a message the user sent.", "message,edit",
          "chat_message_id* text*", "chat_message_id text edited_at")
    d.add("delete_message", "Delete a message for the user or for everyone.", "message,delete",
          "chat_message_id* for_everyone", "chat_message_id deleted")
    d.add("react_to_message", "React to a message with an emoji.", "message,reaction",
          "chat_message_id* emoji*", "chat_message_id emoji reaction_count")
    d.add("mute_conversation", "Mute notifications of a conversation.", "conversation,notification",
          "conversation_id* duration_hours", "conversation_id muted_until")
    return d


def cloud_storage() -> Domain:
    d = Domain(
        "cloud_storage",
        file_id=ident("Identifier of the file or folder."),
        folder_id=ident("Identifier of the folder."),
        parent_folder_id=nullable(ident("Identifier of the parent folder; null for the root.")),
        permission_id=ident("Identifier of the sharing permission."),
        name=string("File or folder name, e.g. 'Q3 report.pdf'.", minLength=1, maxLength=255),
        mime_type=string("MIME type, e.g. 'application/pdf'."),
        size_bytes=integer("Size in bytes.", minimum=0),
        is_folder=boolean("Whether the item is a folder."),
        file_type=enum("Kind of file.",
                       "document spreadsheet presentation pdf image video audio archive folder"),
        sort_by=enum("Sort order.", "name modified_at size", default="modified_at"),
        modified_after=datetime("Only files modified after this time."),
        modified_at=datetime("When the file was last modified."),
        owner_email=email("Email of the file owner."),
        starred=boolean("Whether the file is starred."),
        shared=boolean("Whether the file is shared with anyone."),
        web_url=uri("Link to open the file in the browser."),
        version=integer("Version number of the file.", minimum=1),
        source_url=uri("Link to fetch the file content from."),
        overwrite=boolean("Replace a file with the same name in the folder.", default=False),
        description=string("Description of the file.", maxLength=1000),
        permanent=boolean("Delete permanently instead of moving to trash.", default=False),
        in_trash=boolean("Whether the file is in the trash."),
        email=email("Email of the person to share with."),
        role=enum("Access level.", "viewer commenter editor", default="viewer"),
        notify=boolean("Whether to email the person.", default=True),
        message=string("Message to include in the notification.", maxLength=1000),
        granted_at=datetime("When access was granted."),
        used_bytes=integer("Storage used in bytes.", minimum=0),
        total_bytes=integer("Storage quota in bytes.", minimum=0),
        trash_bytes=integer("Storage used by the trash in bytes.", minimum=0),
        file_count=integer("Number of files stored.", minimum=0),
    )
    item = "file_id name mime_type size_bytes modified_at is_folder"
    d.define(
        files=d.records("Files and folders.", item),
        permissions=d.records("Who can access the file.", "permission_id email role granted_at"),
    )
    d.add("list_files", "List the files and folders inside a folder.", "file,browse",
          "folder_id file_type sort_by limit", "folder_id files",
          folder_id=ident("Identifier of the folder; the root folder when omitted."))
    d.add("search_files", "Search files by name or content.", "file,search",
          "query* file_type modified_after owner_email limit", "files total_results")
    d.add("get_file_metadata", "Get the metadata and sharing state of a file.", "file,details",
          "file_id*", f"{item} folder_id owner_email created_at shared starred web_url version")
    d.add("upload_file", "Upload a file from a link into a folder.", "file,upload",
          "name* source_url* folder_id overwrite description", "file_id name size_bytes folder_id created_at",
          folder_id=ident("Identifier of the destination folder; the root folder when omitted."))
    d.add("create_folder", "Create a folder.", "folder,create",
          "name* parent_folder_id", "folder_id name parent_folder_id created_at",
          name=string("Folder name.", minLength=1, maxLength=255),
          folder_id=ident("Identifier of the new folder."))
    d.add("update_file", "Rename, describe or star a file.", "file,change",
          "file_id* name description starred", "file_id name starred modified_at")
    d.add("move_file", "Move a file or folder into another folder.", "file,move",
          "file_id* folder_id*", "file_id folder_id modified_at",
          folder_id=ident("Identifier of the destination folder."))
    d.add("delete_file", "Move a file to the trash or delete it permanently.", "file,delete",
          "file_id* permanent", "file_id deleted in_trash")
    d.add("share_file", "Share a file with a person by email.", "file,share",
          "file_id* email* role notify message", "permission_id file_id email role")
    d.add("list_file_permissions", "List who has access to a file.", "file,share",
          "file_id*", "file_id permissions")
    d.add("remove_file_permission", "Revoke a person's access to a file.", "file,share",
          "permission_id*", "permission_id removed")
    d.add("get_storage_usage", "Get the storage used and the quota of the account.", "storage,quota",
          "", "used_bytes total_bytes trash_bytes file_count")
    return d


DOMAINS = (calendar, email_domain, messaging, cloud_storage)

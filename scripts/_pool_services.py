"""Built-in API pool: health, HR, education, customer support and sports."""

from __future__ import annotations

from _pool_common import (
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


def health() -> Domain:
    d = Domain(
        "health",
        doctor_id=ident("Identifier of the doctor, as returned by search_doctors."),
        clinic_id=ident("Identifier of the clinic."),
        slot_id=ident("Identifier of an open appointment slot, as returned by list_available_slots."),
        appointment_id=ident("Identifier of the appointment."),
        prescription_id=ident("Identifier of the prescription."),
        refill_request_id=ident("Identifier of the refill request."),
        specialty=string("Medical specialty, e.g. 'dermatology' or 'pediatrics'.", minLength=3),
        full_name=string("Full name of the doctor."),
        clinic_name=string("Name of the clinic."),
        name=string("Name of the clinic."),
        insurance_provider=string("Health insurance provider, e.g. 'Aetna'."),
        accepting_new_patients=boolean("Whether the doctor accepts new patients."),
        languages=array("Languages spoken.", string("Language name, e.g. 'Spanish'.")),
        spoken_language=string("Language the doctor should speak, e.g. 'Spanish'."),
        years_of_experience=integer("Years in practice.", minimum=0),
        biography=string("Short professional biography."),
        days=integer("Number of days to look ahead.", minimum=1, maximum=30, default=7),
        start_time=datetime("Start of the appointment."),
        end_time=datetime("End of the appointment."),
        visit_type=enum("Kind of visit.", "in_person video", default="in_person"),
        patient_name=string("Full name of the patient.", minLength=2, maxLength=100),
        date_of_birth=date("Patient's date of birth."),
        visit_reason=string("Reason for the visit, e.g. 'annual check-up'.", maxLength=300),
        status=enum("Appointment status.", "booked confirmed checked_in completed cancelled no_show"),
        opening_hours=array("Opening hours per weekday.", string("Hours, e.g. 'Mon 08:00-17:00'.")),
        services=array("Services offered.", string("A service, e.g. 'X-ray'.")),
        medication_name=string("Name of the medication."),
        dosage=string("Dosage instructions, e.g. '10 mg once daily'."),
        refills_remaining=integer("Refills left on the prescription.", minimum=0),
        last_filled_date=nullable(date("When the prescription was last filled.")),
        pharmacy_name=string("Pharmacy to pick the refill up from."),
        refill_status=enum("Refill status.", "submitted approved ready picked_up denied"),
        ready_by=nullable(datetime("When the refill will be ready for pick-up.")),
    )
    appointment = "appointment_id doctor_id clinic_id start_time visit_type status"
    d.define(
        doctors=d.records("Matching doctors.",
                          "doctor_id full_name specialty clinic_id clinic_name city rating "
                          "accepting_new_patients"),
        slots=d.records("Open slots, earliest first.", "slot_id start_time end_time visit_type"),
        appointments=d.records("Appointments, soonest first.", appointment),
        prescriptions=d.records("Active prescriptions.",
                                "prescription_id medication_name dosage refills_remaining last_filled_date"),
    )
    d.add("search_doctors", "Find doctors by specialty and city.", "doctor,search",
          "specialty* city* insurance_provider language=spoken_language accepting_new_patients limit",
          "doctors")
    d.add("get_doctor_profile", "Get the profile, languages and clinic of a doctor.", "doctor,details",
          "doctor_id*", "doctor_id full_name specialty clinic_id clinic_name languages years_of_experience "
                        "biography rating accepting_new_patients")
    d.add("get_clinic_details", "Get the address, phone, hours and services of a clinic.", "clinic,details",
          "clinic_id*", "clinic_id name address city phone opening_hours services")
    d.add("list_available_slots", "List a doctor's open appointment slots from a date.", "appointment,slot",
          "doctor_id* date* days visit_type", "doctor_id slots")
    d.add("book_appointment", "Book an open slot for a patient.", "appointment,booking",
          "slot_id* patient_name* email* date_of_birth reason=visit_reason visit_type insurance_provider",
          f"{appointment} confirmation_code", email=email("Email of the patient."))
    d.add("get_appointment", "Retrieve an appointment.", "appointment",
          "appointment_id*", f"{appointment} patient_name reason=visit_reason")
    d.add("list_appointments", "List the appointments booked with a patient's email.", "appointment",
          "email* status start_date", "appointments", email=email("Email of the patient."))
    d.add("reschedule_appointment", "Move an appointment to another open slot of the same doctor.",
          "appointment,change", "appointment_id* slot_id*", appointment)
    d.add("cancel_appointment", "Cancel an appointment; late cancellations may incur a fee.",
          "appointment,cancel", "appointment_id* reason", "appointment_id status cancellation_fee currency")
    d.add("list_prescriptions", "List a patient's active prescriptions.", "prescription",
          "email*", "prescriptions", email=email("Email of the patient."))
    d.add("create_refill_request", "Request a refill of a prescription at a pharmacy.", "prescription,refill",
          "prescription_id* pharmacy_name",
          "refill_request_id prescription_id pharmacy_name status=refill_status ready_by")
    return d


def hr() -> Domain:
    month = string("Pay month in YYYY-MM format.", pattern="^[0-9]{4}-(0[1-9]|1[0-2])$")
    d = Domain(
        "hr",
        employee_id=ident("Identifier of the employee, as returned by search_employees."),
        manager_id=nullable(ident("Identifier of the employee's manager.")),
        leave_request_id=ident("Identifier of the leave request."),
        job_id=ident("Identifier of the job opening."),
        application_id=ident("Identifier of the job application."),
        full_name=string("Full name of the employee.", minLength=2, maxLength=100),
        job_title=string("Job title, e.g. 'Data Analyst'."),
        department=string("Department, e.g. 'Finance'."),
        location=string("Office location, e.g. 'Berlin'."),
        email=email("Work email of the employee."),
        hire_date=date("Date the employee joined."),
        employment_type=enum("Employment type.", "full_time part_time contract intern"),
        leave_type=enum("Kind of leave.", "vacation sick personal parental unpaid"),
        available_days=number("Days still available.", minimum=0),
        used_days=number("Days already taken this year.", minimum=0),
        start_date=date("First day of leave."),
        end_date=date("Last day of leave."),
        half_day=boolean("Whether the leave is a half day.", default=False),
        days_requested=number("Working days requested.", minimum=0.5),
        status=enum("Request status.", "pending approved rejected cancelled"),
        decision=enum("Manager's decision.", "approved rejected"),
        decided_at=nullable(datetime("When the request was decided.")),
        year=integer("Calendar year.", minimum=2000, maximum=2100),
        remote=boolean("Whether the role can be done remotely."),
        posted_date=date("Date the opening was posted."),
        description=string("Description of the role."),
        requirements=array("Requirements of the role.", string("A requirement.")),
        salary_min=nullable(money("Lower end of the salary range per year.")),
        salary_max=nullable(money("Upper end of the salary range per year.")),
        applicant_email=email("Email of the applicant."),
        resume_url=uri("Link to the applicant's resume."),
        application_status=enum("Application status.", "submitted in_review interview offer rejected"),
        month=month,
        gross_pay=money("Pay before tax and deductions."),
        net_pay=money("Pay after tax and deductions."),
        tax=money("Income tax withheld."),
        deductions=array("Other deductions.", record({
            "name": string("Name of the deduction, e.g. 'Pension'."),
            "amount": money("Amount deducted."),
        })),
    )
    employee = "employee_id full_name title=job_title department email location"
    leave = "leave_request_id employee_id leave_type start_date end_date days_requested status"
    job = "job_id title=job_title department location employment_type remote posted_date"
    d.define(
        employees=d.records("Matching employees.", employee),
        balances=d.records("Balance per leave type.", "leave_type available_days used_days"),
        leave_requests=d.records("Leave requests, most recent first.", leave),
        job_openings=d.records("Open positions.", job),
    )
    d.add("search_employees", "Search the company directory by name, department or location.",
          "directory,search", "query department location limit", "employees")
    d.add("get_employee_profile", "Get the directory profile of an employee.", "directory",
          "employee_id*", f"{employee} phone manager_id hire_date employment_type")
    d.add("get_leave_balance", "Get the remaining leave days of an employee by leave type.", "leave",
          "employee_id*", "employee_id balances updated_at")
    d.add("create_leave_request", "Request time off for an employee.", "leave,request",
          "employee_id* leave_type* start_date* end_date* half_day reason", f"{leave} created_at")
    d.add("get_leave_request", "Retrieve a leave request and its decision.", "leave,request",
          "leave_request_id*", f"{leave} reason? decided_at")
    d.add("list_leave_requests", "List the leave requests of an employee.", "leave,request",
          "employee_id* status year", "leave_requests")
    d.add("review_leave_request", "Approve or reject a pending leave request as the manager.",
          "leave,approval", "leave_request_id* decision* comment", "leave_request_id status decided_at")
    d.add("cancel_leave_request", "Withdraw a leave request.", "leave,request,cancel",
          "leave_request_id*", "leave_request_id status")
    d.add("list_job_openings", "List open positions, optionally by department, location or type.",
          "recruiting,job", "department location employment_type remote limit", "job_openings")
    d.add("get_job_opening", "Get the description, requirements and salary range of a job opening.",
          "recruiting,job", "job_id*", f"{job} description requirements salary_min salary_max currency")
    d.add("create_job_application", "Apply to a job opening.", "recruiting,application",
          "job_id* full_name* email=applicant_email* resume_url phone",
          "application_id job_id status=application_status created_at",
          full_name=string("Full name of the applicant.", minLength=2, maxLength=100))
    d.add("get_payslip", "Get an employee's payslip for a month.", "payroll",
          "employee_id* month*", "employee_id month gross_pay net_pay tax deductions currency")
    return d


def education() -> Domain:
    d = Domain(
        "education",
        course_id=ident("Identifier of the course, as returned by search_courses."),
        enrollment_id=ident("Identifier of the enrollment."),
        lesson_id=ident("Identifier of a lesson, as listed in get_course_details."),
        assignment_id=ident("Identifier of the assignment."),
        submission_id=ident("Identifier of the assignment submission."),
        instructor_id=ident("Identifier of the instructor."),
        certificate_id=ident("Identifier of the certificate."),
        title=string("Title of the course."),
        subject=string("Subject area, e.g. 'data science'."),
        provider=string("Institution or platform offering the course."),
        level=enum("Difficulty level.", "beginner intermediate advanced"),
        duration_hours=number("Estimated hours to complete.", minimum=0),
        free_only=boolean("Only free courses.", default=False),
        description=string("What the course covers."),
        prerequisites=array("Recommended prior knowledge.", string("A prerequisite.")),
        certificate_available=boolean("Whether a certificate is awarded on completion."),
        lesson_title=string("Title of the lesson."),
        module_title=string("Title of the module."),
        duration_minutes=integer("Length of the lesson in minutes.", minimum=1),
        status=enum("Enrollment status.", "active completed cancelled"),
        progress_percent=integer("Share of lessons completed, in percent.", minimum=0, maximum=100),
        price_paid=money("Amount paid for the course."),
        enrolled_at=datetime("When the enrollment started."),
        completed_at=datetime("When the lesson was marked complete."),
        due_date=date("Due date of the assignment."),
        assignment_status=enum("Assignment status.", "not_started submitted graded late"),
        max_score=integer("Maximum score.", minimum=1),
        submission_url=uri("Link to the submitted work."),
        submitted_at=datetime("When the work was submitted."),
        full_name=string("Full name of the instructor."),
        bio=string("Short biography."),
        courses_count=integer("Number of courses taught.", minimum=0),
        expertise=array("Areas of expertise.", string("An area.")),
        certificate_url=uri("Link to the certificate."),
        issued_at=date("Date the certificate was issued."),
    )
    course = "course_id title provider level duration_hours price currency rating language"
    enrollment = "enrollment_id course_id status progress_percent"
    d.define(
        courses=d.records("Matching courses.", course),
        syllabus=array("Modules with their lessons.", record({
            "module_title": d.field("module_title"),
            "lessons": d.records("Lessons of the module.", "lesson_id title=lesson_title duration_minutes"),
        })),
        enrollments=d.records("Enrollments.", f"{enrollment} title"),
        assignments=d.records("Assignments of the course.",
                              "assignment_id title due_date status=assignment_status max_score"),
    )
    d.add("search_courses", "Search online courses by topic, level, language and price.", "course,search",
          "query* subject level language max_price free_only min_rating limit", "courses total_results")
    d.add("get_course_details", "Get the description, syllabus and instructor of a course.", "course,details",
          "course_id*", f"{course} description instructor_id syllabus prerequisites certificate_available")
    d.add("get_instructor_profile", "Get the profile of a course instructor.", "instructor",
          "instructor_id*", "instructor_id full_name bio rating courses_count expertise")
    d.add("create_enrollment", "Enroll a student in a course.", "enrollment",
          "course_id* email*", f"{enrollment} price_paid currency enrolled_at",
          email=email("Email of the student."))
    d.add("get_enrollment", "Get the status and progress of an enrollment.", "enrollment",
          "enrollment_id*", f"{enrollment} title enrolled_at")
    d.add("list_enrollments", "List the courses a student is enrolled in.", "enrollment",
          "email* status", "enrollments", email=email("Email of the student."))
    d.add("cancel_enrollment", "Cancel an enrollment, refunding it within the refund window.",
          "enrollment,cancel", "enrollment_id* reason", "enrollment_id status refund_amount currency")
    d.add("mark_lesson_complete", "Mark a lesson of an enrolled course as completed.", "progress",
          "enrollment_id* lesson_id*", "enrollment_id lesson_id progress_percent completed_at")
    d.add("list_assignments", "List the assignments of an enrolled course.", "assignment",
          "enrollment_id* status=assignment_status", "enrollment_id assignments")
    d.add("submit_assignment", "Submit work for an assignment.", "assignment",
          "enrollment_id* assignment_id* submission_url*",
          "submission_id assignment_id status=assignment_status submitted_at")
    d.add("get_certificate", "Get the completion certificate of a finished course.", "certificate",
          "enrollment_id*", "enrollment_id certificate_id title certificate_url issued_at")
    return d


def customer_support() -> Domain:
    d = Domain(
        "customer_support",
        ticket_id=ident("Identifier of the support ticket."),
        comment_id=ident("Identifier of the ticket comment."),
        help_article_id=ident("Identifier of the help center article."),
        url=uri("Link to the article in the help center."),
        subject=string("One-line summary of the issue.", minLength=3, maxLength=150),
        description=string("Details of the issue.", maxLength=4000),
        category=enum("Issue category.", "billing technical account shipping other"),
        priority=enum("Ticket priority.", "low normal high urgent", default="normal"),
        order_reference=string("Related order number, if any.", maxLength=40),
        status=enum("Ticket status.", "open pending on_hold solved closed"),
        estimated_response_hours=integer("Expected hours until the first reply.", minimum=0),
        assigned_team=nullable(string("Team handling the ticket.")),
        message=string("Text of the comment.", minLength=1, maxLength=4000),
        author=string("Who wrote the comment."),
        resolution_note=string("How the issue was resolved.", maxLength=1000),
        closed_at=datetime("When the ticket was closed."),
        escalation_reason=string("Why the ticket needs escalation.", minLength=3, maxLength=300),
        escalation_level=integer("Escalation tier.", minimum=1, maximum=3),
        title=string("Title of the article."),
        summary=string("One-paragraph summary of the article."),
        body=string("Full text of the article."),
        helpful_votes=integer("Readers who found the article helpful.", minimum=0),
        satisfaction_rating=integer("Satisfaction from 1 (poor) to 5 (excellent).", minimum=1, maximum=5),
    )
    ticket = "ticket_id subject category priority status created_at"
    d.define(
        tickets=d.records("Tickets, most recent first.", ticket),
        comments=d.records("Comments, oldest first.", "comment_id author message created_at"),
        articles=d.records("Matching articles.", "help_article_id title summary category url"),
    )
    d.add("create_support_ticket", "Open a support ticket for an issue.", "ticket,create",
          "subject* email* description category priority order_reference",
          f"{ticket} estimated_response_hours")
    d.add("get_ticket", "Retrieve a support ticket.", "ticket",
          "ticket_id*", f"{ticket} description? email assigned_team updated_at")
    d.add("list_tickets", "List the support tickets opened with an email address.", "ticket",
          "email* status limit", "tickets")
    d.add("update_ticket", "Change the priority, category or status of a ticket.", "ticket,change",
          "ticket_id* priority category status", f"{ticket} updated_at")
    d.add("add_ticket_comment", "Add a reply to a support ticket.", "ticket,comment",
          "ticket_id* message*", "comment_id ticket_id created_at")
    d.add("list_ticket_comments", "List the conversation on a support ticket.", "ticket,comment",
          "ticket_id*", "ticket_id comments")
    d.add("escalate_ticket", "Escalate a ticket to a specialist team.", "ticket,escalation",
          "ticket_id* reason=escalation_reason*", "ticket_id priority escalation_level assigned_team")
    d.add("close_ticket", "Close a solved support ticket.", "ticket,close",
          "ticket_id* resolution_note", "ticket_id status closed_at")
    d.add("submit_satisfaction_rating", "Rate the support received on a closed ticket.", "ticket,feedback",
          "ticket_id* rating=satisfaction_rating* comment", "ticket_id rating=satisfaction_rating created_at")
    d.add("search_help_articles", "Search the help center for articles.", "help center,search",
          "query* category limit", "articles")
    d.add("get_help_article", "Get the full text of a help center article.", "help center",
          "help_article_id*", "help_article_id title body category helpful_votes updated_at")
    return d


def sports() -> Domain:
    sport = enum("Sport.", "football basketball baseball ice_hockey tennis cricket rugby american_football")
    d = Domain(
        "sports",
        team_id=ident("Identifier of the team, as returned by search_teams."),
        match_id=ident("Identifier of the match."),
        player_id=ident("Identifier of the player, as returned by search_players."),
        follow_id=ident("Identifier of the team follow."),
        query=string("Name or part of the name to look up.", minLength=2, maxLength=100),
        sport=sport,
        league=string("League or competition name, e.g. 'Premier League'."),
        name=string("Name of the team."),
        founded_year=nullable(integer("Year the team was founded.", minimum=1800, maximum=2100)),
        stadium=string("Home stadium or arena."),
        coach=nullable(string("Head coach.")),
        home_team=string("Name of the home team."),
        away_team=string("Name of the away team."),
        home_score=nullable(integer("Goals or points of the home team; null before kick-off.", minimum=0)),
        away_score=nullable(integer("Goals or points of the away team; null before kick-off.", minimum=0)),
        start_time=datetime("Scheduled start time."),
        venue=string("Where the match is played."),
        status=enum("Match status.", "scheduled live finished postponed cancelled"),
        minute=nullable(integer("Minute of play for live matches.", minimum=0, maximum=150)),
        season=string("Season, e.g. '2024-25' or '2024'.", pattern="^[0-9]{4}(-[0-9]{2})?$"),
        position=integer("League position.", minimum=1),
        team_name=string("Name of the team."),
        played=integer("Matches played.", minimum=0),
        won=integer("Matches won.", minimum=0),
        drawn=integer("Matches drawn.", minimum=0),
        lost=integer("Matches lost.", minimum=0),
        points=integer("League points.", minimum=0),
        full_name=string("Full name of the player."),
        player_position=string("Playing position, e.g. 'goalkeeper'."),
        nationality=string("Nationality of the player."),
        games_played=integer("Games played in the season.", minimum=0),
        stats=array("Season statistics.", record({
            "stat_name": string("Statistic, e.g. 'goals' or 'rebounds'."),
            "value": number("Value of the statistic."),
        })),
        notify_on=array("Events to be notified about.",
                        enum("An event.", "lineups kickoff goals final_score")),
    )
    match = "match_id home_team away_team start_time venue league status"
    d.define(
        teams=d.records("Matching teams.", "team_id name sport league city country_code"),
        matches=d.records("Matches, soonest first.", match),
        live=d.records("Matches in progress today.", "match_id home_team away_team home_score away_score "
                                                     "minute status"),
        standings=d.records("Table rows, top first.",
                            "position team_id team_name played won drawn lost points"),
        players=d.records("Matching players.",
                          "player_id full_name team_id team_name position=player_position nationality"),
    )
    d.add("search_teams", "Find teams by name, sport or league.", "team,search",
          "query* sport league", "teams")
    d.add("get_team_details", "Get the league, stadium and coach of a team.", "team,details",
          "team_id*", "team_id name sport league city country_code founded_year stadium coach")
    d.add("get_team_schedule", "Get the upcoming and recent matches of a team.", "team,schedule",
          "team_id* start_date end_date", "team_id matches")
    d.add("get_match_details", "Get the score, status and venue of a match.", "match,details",
          "match_id*", f"{match} home_score away_score")
    d.add("get_live_scores", "Get live scores of today's matches in a sport.", "match,live",
          "sport* league", "sport matches=live")
    d.add("get_league_standings", "Get the current table of a league.", "league,standings",
          "league* season", "league season standings")
    d.add("search_players", "Find players by name, optionally within a team.", "player,search",
          "query* team_id position=player_position", "players")
    d.add("get_player_stats", "Get a player's statistics for a season.", "player,stats",
          "player_id* season", "player_id full_name team_id team_name season games_played stats")
    d.add("follow_team", "Follow a team to get notifications about its matches.", "team,follow",
          "team_id* notify_on", "follow_id team_id notify_on created_at")
    d.add("unfollow_team", "Stop following a team.", "team,follow", "follow_id*", "follow_id removed")
    return d


DOMAINS = (health, hr, education, customer_support, sports)

"""The demo-site pages a resident, volunteer or team leader uses (keys of demo_site paths),
shared by the phone and accessibility browser tests."""

PUBLIC = [
    "home",
    "brand_index",
    "brand",
    "news_index",
    "news",
    "search",
    "communities",
    "community",
    "council_index",
    "council",
    "proposal",
    "meetings",
    "meeting",
    "teams",
    "team",
    "task",
    "open_task",
    "activities",
    "activity",
    "publicity",
    "verify",
    "login",
    "signup",
]
SIGNED_IN = [
    *[key for key in PUBLIC if key not in ("login", "signup")],
    "propose",
    "my_proposals",
    "my_tasks",
    "my_hours",
    "needs",
    "notifications",
    "profile",
    "my_activities",
    "records",
    "records_profile",
]
# who (a demo person, None for signed out) -> the pages they use
ROLES = {
    None: PUBLIC,
    "resident1": SIGNED_IN,
    "leader1": [*SIGNED_IN, "team_board", "team_hours"],
    "volunteer1": [
        "team",
        "team_board",
        "task",
        "my_tasks",
        "my_hours",
        "my_activities",
        "records",
        "certificate",
    ],
    # Community staff on the site's own pages (the Wagtail admin is not checked here).
    "staff": [
        "dispatch",
        "managed",
        "requests",
        "proposal",
        "meetings",
        "meeting",
        "meeting_new",
        "team_hours",
        "needs",
        "activity_manage",
        "records_staff",
        "records_export",
        "certificate",
    ],
}


def role_id(who):
    return who or "anonymous"

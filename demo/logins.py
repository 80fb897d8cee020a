"""The demo's logins, one per role and a second manager (`manage.py demo_users`).

Managers are not staff: the manager's console (/team/) and the weekly reports are their pages,
and the admin would refuse a staff user without permissions anyway. The admin and the marketer
(who tunes the funnel in the admin) are staff.
"""

from funnel.models import Role

# username, role, team key
DEMO_USERS = [
    ("admin", Role.ADMIN, None),
    ("marketer", Role.MARKETING, "marketing"),
    ("qualifier", Role.INSIDE, "inside"),
    ("rep", Role.SALES, "sales"),
    ("manager", Role.MANAGER, "sales"),
    # The sender's side of MQL → SAL: with the sales manager, the two who sign its agreement.
    ("inside_manager", Role.MANAGER, "inside"),
    ("integration", Role.INTEGRATION, None),
]
STAFF_ROLES = (Role.ADMIN, Role.MARKETING)
# The logins who work leads: the demo leaves each of them offers waiting and leads in work.
WORKING_ROLES = (Role.SALES, Role.INSIDE)


def demo_usernames(*roles: str) -> list[str]:
    return [username for username, role, _ in DEMO_USERS if not roles or role in roles]

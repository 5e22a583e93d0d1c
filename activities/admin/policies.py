"""The permission policies of activities' models (activities/wagtail_hooks.py registers them).

Staff see the activities of the communities they staff (and those below) and the attendance
of those activities. Nothing is deleted from the admin: an activity is cancelled or closed
(activities.services), attendance is kept as the record of who came.
"""

from communities.admin.scope import CommunityScopedPolicy

from ..models import Activity, Attendance

POLICIES = [
    CommunityScopedPolicy(Activity, actions=("view", "add", "change")),
    CommunityScopedPolicy(Attendance, community_lookup="activity__community", actions=("view",)),
]

"""The staff inbox (待处理) in the Wagtail admin's menu: staff work there too, and the inbox page
of the site is where they see everything that waits for them."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem

from ..permissions import staffs_any_community


class InboxMenuItem(MenuItem):
    def is_shown(self, request):
        return staffs_any_community(request.user)


def inbox_menu_item() -> InboxMenuItem:
    return InboxMenuItem(
        _("Waiting for you"),
        reverse("communities:inbox"),
        name="linli-inbox",
        icon_name="tasks",
        order=150,
    )

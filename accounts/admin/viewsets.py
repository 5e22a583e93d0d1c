"""Wagtail's user admin for our user model (LinliUsersAppConfig in accounts/apps.py points
wagtail.users at LinliUserViewSet)."""

from wagtail.users.views import users as wagtail_users

from core.admin_scope import PolicyScopedViewSetMixin

from .forms import LinliUserCreationForm, LinliUserEditForm
from .views import LinliUserIndexView


class LinliUserViewSet(PolicyScopedViewSetMixin, wagtail_users.UserViewSet):
    index_view_class = LinliUserIndexView
    create_template_name = "accounts/admin/user_create.html"
    edit_template_name = "accounts/admin/user_edit.html"

    def get_form_class(self, for_update=False):
        return LinliUserEditForm if for_update else LinliUserCreationForm

"""Wagtail's user admin and account page for our user model: e-mail login, display name and
phone, no first and last names.

LinliUsersAppConfig (accounts/apps.py) points wagtail.users at viewsets.LinliUserViewSet;
config/urls.py routes /admin/account/ to views.AdminAccountView.
"""

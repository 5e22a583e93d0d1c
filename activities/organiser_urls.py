"""The organiser's pages (included by activities.urls, same namespace)."""

from django.urls import path

from . import organiser_views as views

urlpatterns = [
    path("new/", views.create, name="create"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/publish/", views.publish, name="manage_publish"),
    path("<int:pk>/code/", views.code, name="code"),
    path("<int:pk>/attendance/", views.manage, name="manage"),
    path("<int:pk>/attendance/rows/", views.attendance_rows, name="attendance_rows"),
    path("<int:pk>/attendance/export/", views.export, name="export"),
    path("<int:pk>/attendance/assist/", views.assist, name="assist"),
    path("<int:pk>/attendance/sheet/", views.sheet, name="manage_sheet"),
    path("<int:pk>/attendance/hours/", views.correct, name="manage_hours"),
    path("<int:pk>/attendance/signup/", views.signup_for, name="manage_signup"),
    path("<int:pk>/attendance/close/", views.close, name="manage_close"),
    path("<int:pk>/attendance/cancel/", views.cancel, name="manage_cancel"),
]

from django.urls import path

from . import views

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="team_list"),
    path("<int:pk>/", views.team_detail, name="team_detail"),
    path("<int:pk>/join/", views.team_join, name="team_join"),
    path(
        "<int:pk>/requests/<int:membership_id>/",
        views.membership_decide,
        name="membership_decide",
    ),
    path("<int:pk>/board/", views.team_board, name="team_board"),
    path("<int:pk>/hours/", views.team_hours, name="team_hours"),
    path("<int:pk>/hours/<int:record_id>/", views.hours_review, name="hours_review"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/follow/", views.task_follow, name="task_follow"),
    path("tasks/<int:pk>/claim/", views.task_claim, name="task_claim"),
    path("tasks/<int:pk>/release/", views.task_release, name="task_release"),
    path("tasks/<int:pk>/dispatch/", views.task_dispatch, name="task_dispatch"),
    path("tasks/<int:pk>/update/", views.task_update, name="task_update"),
    path("tasks/<int:pk>/verify/", views.task_verify, name="task_verify"),
    path("tasks/<int:pk>/reopen/", views.task_reopen, name="task_reopen"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path("tasks/<int:pk>/hours/", views.task_hours, name="task_hours"),
    path("my/tasks/", views.my_tasks, name="my_tasks"),
    path("my/hours/", views.my_hours, name="my_hours"),
    path("dispatch/", views.dispatch, name="dispatch"),
    path("needs/", views.my_needs, name="my_needs"),
    path("needs/new/", views.need_create, name="need_create"),
    path("needs/<int:pk>/accept/", views.need_accept, name="need_accept"),
    path("needs/<int:pk>/decline/", views.need_decline, name="need_decline"),
]

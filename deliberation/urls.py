from django.urls import path

from . import views

app_name = "deliberation"

urlpatterns = [
    path("", views.council_index, name="index"),
    path("<int:community_id>/", views.council, name="council"),
    path("<int:community_id>/new/", views.proposal_create, name="proposal_create"),
    path("<int:community_id>/meetings/", views.meeting_list, name="meeting_list"),
    path("<int:community_id>/meetings/new/", views.meeting_create, name="meeting_create"),
    path("mine/", views.my_proposals, name="my_proposals"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/parts/", views.proposal_parts, name="proposal_parts"),
    path("proposals/<int:pk>/edit/", views.proposal_edit, name="proposal_edit"),
    path("proposals/<int:pk>/submit/", views.proposal_submit, name="proposal_submit"),
    path("proposals/<int:pk>/withdraw/", views.proposal_withdraw, name="proposal_withdraw"),
    path("proposals/<int:pk>/publish/", views.proposal_publish, name="proposal_publish"),
    path("proposals/<int:pk>/return/", views.proposal_return, name="proposal_return"),
    path("proposals/<int:pk>/hide/", views.proposal_hide, name="proposal_hide"),
    path("proposals/<int:pk>/restore/", views.proposal_restore, name="proposal_restore"),
    path("proposals/<int:pk>/voting/", views.proposal_open_voting, name="proposal_open_voting"),
    path("proposals/<int:pk>/vote/", views.proposal_vote, name="proposal_vote"),
    path(
        "proposals/<int:pk>/assisted-vote/",
        views.proposal_assisted_vote,
        name="proposal_assisted_vote",
    ),
    path("proposals/<int:pk>/decide/", views.proposal_decide, name="proposal_decide"),
    path("proposals/<int:pk>/follow/", views.proposal_follow, name="proposal_follow"),
    path("proposals/<int:pk>/unfollow/", views.proposal_unfollow, name="proposal_unfollow"),
    path("proposals/<int:pk>/report/", views.proposal_report, name="proposal_report"),
    path("proposals/<int:pk>/comments/", views.proposal_comment, name="proposal_comment"),
    path("comments/<int:pk>/hide/", views.comment_hide, name="comment_hide"),
    path("comments/<int:pk>/restore/", views.comment_restore, name="comment_restore"),
    path("comments/<int:pk>/report/", views.comment_report, name="comment_report"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance, name="meeting_attendance"),
    path("meetings/<int:pk>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("meetings/<int:pk>/decision/", views.meeting_decision, name="meeting_decision"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
]

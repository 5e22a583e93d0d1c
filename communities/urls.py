from django.urls import path

from . import views

app_name = "communities"

urlpatterns = [
    path("", views.community_list, name="list"),
    path("managed/", views.managed_communities, name="managed"),
    path("inbox/", views.inbox_page, name="inbox"),
    path("<int:pk>/", views.community_detail, name="detail"),
    path("<int:pk>/join/", views.community_join, name="join"),
    path("<int:pk>/requests/", views.membership_requests, name="requests"),
    path("memberships/<int:pk>/verify/", views.membership_verify, name="verify"),
    path("memberships/<int:pk>/reject/", views.membership_reject, name="reject"),
]

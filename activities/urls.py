from django.urls import path

from . import organiser_urls, views

app_name = "activities"

urlpatterns = [
    path("", views.activity_list, name="list"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/parts/", views.detail_parts, name="detail_parts"),
    path("<int:pk>/signup/", views.signup, name="signup"),
    path("<int:pk>/cancel-signup/", views.cancel_signup, name="cancel_signup"),
    path("<int:pk>/check-in/", views.check_in, name="check_in"),
    path("<int:pk>/check-out/", views.check_out, name="check_out"),
    *organiser_urls.urlpatterns,
]

from django.urls import path

from . import export_views, views

app_name = "certificates"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("request/", views.request_certificate, name="request"),
    path("profile/", views.profile, name="profile"),
    path("profile/reveal/", views.reveal, name="reveal"),
    path("certificates/<int:pk>/", views.detail, name="detail"),
    path("certificates/<int:pk>/issue/", views.issue, name="issue"),
    path("certificates/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="pdf"),
    path("certificates/<int:pk>/lines/<int:line_pk>/", views.evidence, name="evidence"),
    path(
        "certificates/<int:pk>/records/<int:record_pk>/",
        views.record_evidence,
        name="record_evidence",
    ),
    path("publicity/<int:community_pk>/", views.publicity, name="publicity"),
    path("verify/", views.verify_form, name="verify_form"),
    path("verify/<str:number>/", views.verify, name="verify"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/export/", export_views.export, name="export"),
]

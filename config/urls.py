from django.conf import settings
from django.conf.urls.static import static
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.auth import require_admin_access
from wagtail.documents import urls as wagtaildocs_urls

from accounts.admin.views import AdminAccountView
from config.api import api
from core import pwa
from deliberation.photos import proposal_photo
from teams.photos import task_update_photo

urlpatterns = [
    # Wagtail's account page with our name panel (accounts.admin.views.AdminAccountView).
    path("admin/account/", require_admin_access(AdminAccountView.as_view())),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("manifest.webmanifest", pwa.manifest, name="pwa-manifest"),
    path("sw.js", pwa.service_worker, name="pwa-service-worker"),
    path("offline/", pwa.offline, name="pwa-offline"),
    path("api/v1/", api.urls),
    path("api/v2/", include("brands.api")),
    path("search/", include("brands.urls")),
    path("me/", include("accounts.urls")),
    path("communities/", include("communities.urls")),
    path("live/", include("live.urls")),
    path("teams/", include("teams.urls")),
    path("council/", include("deliberation.urls")),
    path("activities/", include("activities.urls")),
    path("records/", include("certificates.urls")),
    # Access-checked photos (core.private_media); nginx never serves them by path.
    path("photos/task-updates/<int:pk>/", task_update_photo, name="task-update-photo"),
    path("photos/proposals/<int:pk>/", proposal_photo, name="proposal-photo"),
]

if settings.DEBUG:
    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns.append(path("", include(wagtail_urls)))

# A database that went away gives 503 "try again" (core/middleware.py), anything else a 500.
handler500 = "core.middleware.server_error"

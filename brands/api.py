"""The Wagtail pages API v2 at /api/v2/ (pages, images, documents), read-only and public.

Every page type lists its fields in `api_fields`; e.g.
/api/v2/pages/?type=brands.BrandPage&fields=*  or  /api/v2/pages/<id>/
"""

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PagesAPIViewSet)
api_router.register_endpoint("images", ImagesAPIViewSet)
api_router.register_endpoint("documents", DocumentsAPIViewSet)

# include("brands.api") in config/urls.py: the namespace is the router's, for its own reversing.
app_name = api_router.url_namespace
urlpatterns = api_router.get_urlpatterns()

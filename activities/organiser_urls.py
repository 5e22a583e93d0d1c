"""The organiser's pages (included by activities.urls, same namespace)."""

urlpatterns = []

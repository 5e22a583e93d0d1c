from . import organiser_urls

app_name = "activities"

urlpatterns = [
    *organiser_urls.urlpatterns,
]

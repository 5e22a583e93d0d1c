app_name = "live"

urlpatterns = []

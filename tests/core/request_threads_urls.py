"""URLs for tests/core/test_request_threads.py: views that tell which thread and which
database connection served them."""

import threading

from django.db import connection
from django.http import JsonResponse
from django.urls import path

gates: dict[str, threading.Event] = {}


def whoami(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"thread": threading.get_ident(), "connection": id(connection.connection)})


def wait(request, name):
    gates[name].wait(10)
    return whoami(request)


urlpatterns = [
    path("whoami", whoami),
    path("wait/<str:name>", wait),
]

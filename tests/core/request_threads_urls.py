"""URLs for tests/core/test_request_threads.py: views that tell which thread and which
database connection served them."""

import threading

from django.db import connection
from django.http import JsonResponse
from django.urls import path

gates: dict[str, threading.Event] = {}
# what happened, in order, while serving: ("view", thread id), and the tests' own entries
seen: list[tuple[str, int]] = []


def whoami(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"thread": threading.get_ident(), "connection": id(connection.connection)})


def recorded(request):
    seen.append(("view", threading.get_ident()))
    return whoami(request)


def wait(request, name):
    gates[name].wait(10)
    return whoami(request)


urlpatterns = [
    path("whoami", whoami),
    path("recorded", recorded),
    path("wait/<str:name>", wait),
]

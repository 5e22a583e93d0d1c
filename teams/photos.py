"""The access-checked photos of task updates (core.private_media)."""

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from core import ids
from core.api import anyone
from core.private_media import private_file_response

from .models import TaskUpdate
from .permissions import can_see_task_details


def photo_reader(request):
    """Who asks: the browser session, or an app's X-Session-Token (as the API accepts)."""
    return anyone(request) or AnonymousUser()


@require_safe
def task_update_photo(request, pk: int):
    """The photo of an update, to whoever may see the task's details now (else 404): a task
    may have become sensitive since. A rendition unless `?size=original`."""
    ids.require_in_range(pk)
    update = get_object_or_404(TaskUpdate.objects.select_related("task"), pk=pk)
    if not update.photo or not can_see_task_details(photo_reader(request), update.task):
        raise Http404
    original = request.GET.get("size") == "original"
    name = (
        update.photo.name if original or not update.photo_rendition else update.photo_rendition.name
    )
    return private_file_response(name)

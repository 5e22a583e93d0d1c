"""The access-checked photos of proposals (core.private_media)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from core import ids
from core.private_media import private_file_response
from teams.photos import photo_reader

from .models import ProposalPhoto
from .permissions import can_view_proposal


@require_safe
def proposal_photo(request, pk: int):
    """A proposal's photo, to whoever may see the proposal now (else 404): drafts to their
    author and staff, hidden ones to staff. A rendition unless `?size=original`."""
    ids.require_in_range(pk)
    photo = get_object_or_404(
        ProposalPhoto.objects.select_related("proposal__council__community"), pk=pk
    )
    if not can_view_proposal(photo_reader(request), photo.proposal):
        raise Http404
    original = request.GET.get("size") == "original"
    name = photo.image.name if original or not photo.rendition else photo.rendition.name
    return private_file_response(name)

"""Files that only some people may see, served after the caller's permission check.

They live in settings.STORAGES["private"] (PRIVATE_MEDIA_ROOT, outside MEDIA_ROOT), which the
web server never serves by path. A view checks who asks, by the object's state now, and then
answers with `private_file_response`: Django streams the file, or, with
settings.PRIVATE_MEDIA_ACCEL_REDIRECT set (production), nginx sends it from an `internal`
location named in the X-Accel-Redirect header (site/deploy/nginx/linli.conf).
"""

from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage, storages
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse

from core.images import clean_image, content_type_of


def private_storage():
    """The storage of access-checked files (a callable, so models name it in migrations)."""
    return storages["private"]


def private_file_response(name: str, *, download_name: str = "photo") -> HttpResponse:
    """The stored file `name` of private_storage(), for a caller who checked the permission."""
    if not name:
        raise Http404
    content_type = content_type_of(name)
    if content_type is None:
        raise Http404  # not an image that clean_image stored
    filename = f"{download_name}{PurePosixPath(name).suffix.lower()}"
    prefix = settings.PRIVATE_MEDIA_ACCEL_REDIRECT
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
    else:
        try:
            stream = private_storage().open(name, "rb")
        except (FileNotFoundError, OSError):
            raise Http404 from None
        response = FileResponse(stream, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Only the browser of the person who was allowed keeps a copy.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def move_public_images(objects, field: str, rendition_field: str) -> int:
    """For data migrations: the images of `field`, stored under public MEDIA_ROOT paths by the
    default storage, cleaned again (core.images.clean_image) into the field's own (private)
    storage under random names; the public files are deleted once the migration commits.

    Returns how many could not be read or decoded: those are dropped, never kept where a path
    could reach them.
    """
    dropped = 0
    public_names = []
    for obj in objects:
        name = getattr(obj, field).name
        if not name:
            continue
        try:
            with default_storage.open(name, "rb") as file:
                cleaned = clean_image(file)
        except (OSError, ValidationError):
            cleaned = None
        if cleaned is None:
            dropped += 1
            setattr(obj, field, "")
            setattr(obj, rendition_field, "")
        else:
            setattr(obj, field, cleaned.original)
            setattr(obj, rendition_field, cleaned.rendition)
        obj.save(update_fields=[field, rendition_field])
        public_names.append(name)

    def delete_public_files():
        for name in public_names:
            default_storage.delete(name)

    transaction.on_commit(delete_public_files)
    return dropped

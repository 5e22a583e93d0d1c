"""Uploaded images, made safe to store: the one photo check of the site.

An upload is decoded with Pillow and written again from its pixels alone, so nothing the camera
or phone put into the file (GPS position, camera model and serial, comments, XMP) is stored. The
stored type and extension are the decoded ones, never the uploaded name's. Files are stored
under random names (`RandomName`), with a smaller rendition for phones beside large originals.
"""

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Long edge of the rendition that pages and apps get unless they ask for the original.
RENDITION_EDGE = 1280

# Decoded type -> (stored extension, Content-Type, save options).
FORMATS = {
    "JPEG": ("jpg", "image/jpeg", {"quality": 85}),
    "PNG": ("png", "image/png", {}),
    "WEBP": ("webp", "image/webp", {"quality": 85}),
}
CONTENT_TYPES = {f".{ext}": content_type for ext, content_type, _options in FORMATS.values()}

INVALID = _("Upload a JPEG, PNG or WebP photo.")


@dataclass(frozen=True)
class CleanImage:
    original: ContentFile
    # None when the original is no larger than a rendition would be.
    rendition: ContentFile | None
    content_type: str


@deconstructible
class RandomName:
    """`upload_to` of access-checked files: "<folder>/<random token>.<extension>".

    The name says nothing about the uploader or the upload; the extension is kept from the
    given name, which `clean_image` sets from the decoded type.
    """

    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        suffix = PurePosixPath(filename).suffix.lower()
        return f"{self.folder}/{secrets.token_urlsafe(18)}{suffix}"

    def __eq__(self, other):
        return isinstance(other, RandomName) and other.folder == self.folder


def content_type_of(name: str) -> str | None:
    """The Content-Type of a stored image, from the extension `clean_image` gave it."""
    return CONTENT_TYPES.get(PurePosixPath(name).suffix.lower())


def carries_metadata(file) -> bool:
    """Whether a stored image holds anything but pixels (EXIF, comments, XMP, a profile), or is
    of a type clean_image does not write: then it was not written by clean_image."""
    file.seek(0)
    with Image.open(file) as image:
        if image.format not in FORMATS or image.getexif():
            return True
        return bool({"exif", "comment", "xmp", "icc_profile"} & set(image.info))


def _too_many_pixels(width: int, height: int) -> ValidationError:
    return ValidationError(
        _(
            "The photo is %(width)d × %(height)d pixels; at most %(max)d megapixels are "
            "accepted. Send a smaller photo."
        ),
        code="photo_too_many_pixels",
        params={
            "width": width,
            "height": height,
            "max": settings.MAX_IMAGE_PIXELS // 1_000_000,
        },
    )


def _open(file) -> Image.Image:
    """Decode the header, refuse unsupported types and too many pixels, then the pixels."""
    file.seek(0)
    try:
        with warnings.catch_warnings():
            # The pixel limit below is lower than Pillow's warning threshold.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(file, formats=list(FORMATS))
    except Image.DecompressionBombError:
        raise ValidationError(
            _("The photo has too many pixels. Send a smaller photo."),
            code="photo_too_many_pixels",
        ) from None
    except Exception:  # a hostile file makes Pillow raise many kinds of errors
        raise ValidationError(INVALID, code="photo_invalid") from None
    width, height = image.size
    if width * height > settings.MAX_IMAGE_PIXELS:
        image.close()
        raise _too_many_pixels(width, height)
    try:
        image.load()
    except Exception:
        image.close()
        raise ValidationError(INVALID, code="photo_invalid") from None
    return image


def _pixels_only(image: Image.Image, image_format: str) -> Image.Image:
    """The pixels upright, in a mode every viewer shows, with no metadata left in `info`."""
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if has_alpha and image_format != "JPEG":
        mode = "RGBA"
    elif image.mode in ("L", "1"):
        mode = "L"
    else:
        mode = "RGB"
    clean = image.convert(mode) if image.mode != mode else image.copy()
    # Savers copy some of `info` (comments, ICC profile, EXIF) into the file: start empty.
    clean.info = {}
    return clean


def _encode(image: Image.Image, image_format: str, stem: str) -> ContentFile:
    extension, _content_type, options = FORMATS[image_format]
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return ContentFile(buffer.getvalue(), name=f"{stem}.{extension}")


def clean_image(file, *, check_size: bool = True, rendition: bool = True) -> CleanImage:
    """Check an uploaded image and write it again from its pixels (see the module docstring).

    Raises ValidationError (codes photo_too_large, photo_too_many_pixels, photo_invalid) with a
    message that says why. `check_size=False`: the caller applies its own byte limit (Wagtail's
    WAGTAILIMAGES_MAX_UPLOAD_SIZE); `rendition=False`: the caller makes its own renditions.
    """
    size = getattr(file, "size", None)
    if check_size and size is not None and size > MAX_IMAGE_BYTES:
        raise ValidationError(_("The photo is larger than 5 MB."), code="photo_too_large")
    with _open(file) as image:
        image_format = image.format
        try:
            clean = _pixels_only(image, image_format)
            original = _encode(clean, image_format, "photo")
            small = None
            if rendition and max(clean.size) > RENDITION_EDGE:
                clean.thumbnail((RENDITION_EDGE, RENDITION_EDGE), Image.Resampling.LANCZOS)
                small = _encode(clean, image_format, "photo-small")
        except Exception as error:  # broken EXIF, modes a format cannot hold
            raise ValidationError(INVALID, code="photo_invalid") from error
    return CleanImage(original, small, FORMATS[image_format][1])

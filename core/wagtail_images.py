"""Wagtail's editorial images, stored as safely as the site's photos.

settings.WAGTAILIMAGES_IMAGE_FORM_BASE names `CleanImageForm`, Wagtail's documented way to
change its image form: every image uploaded in the admin (single, multiple and chooser uploads
all build their form on it) is written again from its pixels by core.images.clean_image, so
no GPS position, camera or serial reaches the public /media/ folder, and the stored extension
is the decoded type's. WAGTAILIMAGES_EXTENSIONS and WAGTAILIMAGES_MAX_IMAGE_PIXELS (settings)
keep Wagtail's own checks in step.
"""

from django.utils.text import capfirst
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

from core.images import clean_image
from core.inputs import CleanInputMixin


class CleanImageField(WagtailImageField):
    """Wagtail's image field, with core.images first: the pixel limit is checked from the
    header before Wagtail's own checks decode the whole image (where a truncated file would
    raise instead of giving a form error). Cleans to the re-encoded file."""

    def to_python(self, data):
        if not hasattr(data, "read"):
            return super().to_python(data)
        # Wagtail makes its own renditions and applies its own byte limit.
        cleaned = clean_image(data, check_size=False, rendition=False)
        data.seek(0)
        super().to_python(data)
        return cleaned.original


class CleanImageForm(CleanInputMixin, BaseImageForm):
    file = CleanImageField(widget=BaseImageForm.Meta.widgets["file"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A declared field stays in subclasses that leave `file` out (the multiple uploader's
        # edit form, partial forms): leave it out there too.
        meta = self._meta
        if (meta.fields is not None and "file" not in meta.fields) or "file" in (
            meta.exclude or ()
        ):
            del self.fields["file"]
        if "file" in self.fields:
            field = self._meta.model._meta.get_field("file")
            self.fields["file"].label = capfirst(field.verbose_name)

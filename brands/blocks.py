"""StreamField blocks of brand and news pages.

Images in the body carry a rendition in the API (not only the image id), so a headless client
needs no second request to show them.
"""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.images.models import SourceImageIOError

API_RENDITION = "max-1200x1200"


def image_api_representation(image, spec: str = API_RENDITION) -> dict | None:
    if image is None:
        return None
    try:
        rendition = image.get_rendition(spec)
    except SourceImageIOError:  # a missing source file must not break the whole page
        return {"id": image.pk, "title": image.title, "error": "rendition_failed"}
    return {
        "id": image.pk,
        "title": image.title,
        "url": rendition.url,
        "width": rendition.width,
        "height": rendition.height,
        "alt": rendition.alt,
    }


class APIImageChooserBlock(ImageChooserBlock):
    def get_api_representation(self, value, context=None):
        return image_api_representation(value)


class ImageBlock(blocks.StructBlock):
    image = APIImageChooserBlock(label=_("image"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=250)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "brands/blocks/image.html"


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label=_("quote"))
    attribution = blocks.CharBlock(label=_("who said it"), required=False, max_length=120)

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "brands/blocks/quote.html"


class FigureBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("label"), max_length=60)
    value = blocks.CharBlock(label=_("value"), max_length=40)

    class Meta:
        icon = "order"
        label = _("Figure")


class FiguresBlock(blocks.ListBlock):
    def __init__(self, **kwargs):
        super().__init__(FigureBlock(), **kwargs)

    class Meta:
        icon = "table"
        label = _("Figures")
        template = "brands/blocks/figures.html"


class GalleryImageBlock(blocks.StructBlock):
    image = APIImageChooserBlock(label=_("image"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=250)

    class Meta:
        icon = "image"
        label = _("Gallery image")


class GalleryBlock(blocks.ListBlock):
    def __init__(self, **kwargs):
        super().__init__(GalleryImageBlock(), **kwargs)

    class Meta:
        icon = "group"
        label = _("Gallery")
        template = "brands/blocks/gallery.html"


RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "hr"]


class BodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(label=_("Rich text"), features=RICH_TEXT_FEATURES)
    image = ImageBlock()
    quote = QuoteBlock()
    figures = FiguresBlock()
    gallery = GalleryBlock()

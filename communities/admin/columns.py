"""Listing columns shared by the Linli admin viewsets."""

from django.utils.text import capfirst
from wagtail.admin.ui.tables import BooleanColumn


class YesNoColumn(BooleanColumn):
    """Wagtail's tick and cross for a yes/no field, named 是/否 for screen readers.

    Wagtail's own cell gives the icons the raw value as their title, which reads "True" or
    "False" in every language.
    """

    cell_template_name = "communities/admin/yes_no_cell.html"


def yes_no(model, field_name):
    """A sortable tick/cross column for a model's boolean field, headed by its verbose name."""
    field = model._meta.get_field(field_name)
    return YesNoColumn(field_name, label=capfirst(field.verbose_name), sort_key=field_name)

"""Search index upkeep for brand and news pages.

Wagtail indexes a page on post_save, before the page's tags, partners and related brands are
written (they are cluster relations, saved after the page row). The n-gram field reads them, so
the page is indexed once more when it has been published, with everything in place.
"""

from wagtail.search.tasks import insert_or_update_object_task
from wagtail.signals import page_published


def reindex_published_page(sender, instance, **kwargs):
    insert_or_update_object_task.enqueue(
        instance._meta.app_label, instance._meta.model_name, str(instance.pk)
    )


def connect():
    from .models import BrandPage, NewsPage

    for model in (BrandPage, NewsPage):
        page_published.connect(
            reindex_published_page, sender=model, dispatch_uid=f"brands-reindex-{model.__name__}"
        )

"""Wagtail images stored before core.wagtail_images.CleanImageForm: written again from their
pixels, so that no GPS position, camera or serial stays in the public /media/ folder."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from wagtail.images import get_image_model

from core.images import carries_metadata, clean_image


class Command(BaseCommand):
    help = (
        "Re-encode every stored Wagtail image that still carries metadata (EXIF, GPS, "
        "comments) from its pixels; its renditions are made again. Safe to run again."
    )

    def handle(self, *args, **options):
        cleaned = failed = 0
        for image in get_image_model().objects.order_by("pk").iterator():
            old_name = image.file.name
            try:
                with image.open_file() as file:
                    if not carries_metadata(file):
                        continue
                    clean = clean_image(file, check_size=False, rendition=False)
            except (OSError, ValidationError) as error:
                failed += 1
                self.stderr.write(f"image {image.pk} ({old_name}): {error}")
                continue
            storage = image.file.storage
            image.file.save(clean.original.name, clean.original, save=False)
            # Wagtail computes both again when they are empty (get_file_size, get_file_hash).
            image.file_size = None
            image.file_hash = ""
            image.save()
            image.get_file_size()
            image.get_file_hash()
            image.renditions.all().delete()
            storage.delete(old_name)
            cleaned += 1
        self.stdout.write(f"{cleaned} image(s) re-encoded, {failed} could not be read.")

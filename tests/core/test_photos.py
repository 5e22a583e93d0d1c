"""Photos are as private as what they show (issue #22, point 2).

Task-update and proposal photos are served only by the access-checked views /photos/...,
by the state of the task or proposal now; they are stored re-encoded from their pixels (no
EXIF, GPS, camera), under random names with the decoded type's extension; images over the
pixel limit are refused with a 400 that says why; the default is a rendition for phones.
"""

import importlib
import io
import re
import struct
import sys
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.images import MAX_IMAGE_BYTES, RENDITION_EDGE
from core.private_media import move_public_images
from deliberation import services as council_services
from deliberation.models import Proposal, ProposalPhoto
from live.models import Event
from teams.models import TaskUpdate
from tests.deliberation.conftest import make_proposal
from tests.factories import CommunityFactory, CouncilFactory, add_staff
from tests.teams.conftest import client_for, make_task, make_team, make_user, member

GPS = 0x8825  # the GPS IFD of EXIF
MODEL = 0x0110  # camera model
SERIAL = 0xA431  # body serial number (Exif IFD)


def jpeg_with_gps(size=(64, 48)) -> bytes:
    """A JPEG as a phone writes it: GPS position, camera model and serial in its EXIF."""
    image = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[MODEL] = "LinliPhone 9"
    exif.get_ifd(0x8769)[SERIAL] = "SN-4711-0815"
    gps = exif.get_ifd(GPS)
    gps[1] = "N"
    gps[2] = (30.0, 10.0, 12.5)
    gps[3] = "E"
    gps[4] = (111.0, 45.0, 3.25)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"grandma's new flat")
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the test's own premise
        assert check.getexif().get_ifd(GPS)
    return data


def png_bytes(size=(16, 12), color=(30, 120, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def noisy_jpeg(size) -> bytes:
    """A photo-like JPEG (noise compresses badly), so sizes compare as with real photos."""
    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def huge_png(width=8000, height=6000) -> bytes:
    """A tiny file that claims 48 MP: a PNG header and one empty data chunk.

    Refused from the header, before any pixel is decoded (fast, no memory)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def upload(name, data, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def post_photo(world, task, name, data, user=None):
    client = client_for(user or world.volunteer)
    return client.post(
        f"/api/v1/tasks/{task.pk}/updates", {"text": "进展", "photo": upload(name, data)}
    )


def stored_bytes(field_file) -> bytes:
    with field_file.storage.open(field_file.name, "rb") as file:
        return file.read()


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_no_metadata(data: bytes):
    for secret in (b"Exif", b"LinliPhone", b"SN-4711", b"grandma"):
        assert secret not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif()
        assert not {"exif", "comment", "xmp", "icc_profile"} & set(image.info)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(db):
    """A community with a team, its people, a neighbour community and a council."""
    from types import SimpleNamespace

    from django.contrib.auth.models import AnonymousUser

    street = CommunityFactory(name="新江口街道", kind="street")
    yuling = CommunityFactory(name="玉岭社区", parent=street)
    other = CommunityFactory(name="白云社区", parent=street)
    w = SimpleNamespace(street=street, yuling=yuling, other=other, anonymous=AnonymousUser())
    w.council = CouncilFactory(community=yuling, name="玉岭社区居民议事会")
    w.resident = member(make_user("resident@example.com"), yuling)
    w.outsider = member(make_user("outsider@example.com"), other)
    w.volunteer = member(make_user("volunteer@example.com"), yuling)
    w.leader = member(make_user("leader@example.com"), yuling)
    w.other_leader = member(make_user("leader2@example.com"), yuling)
    add_staff(w)
    w.team = make_team("环境志愿服务队", community=yuling, leader=w.leader, members=[w.volunteer])
    w.other_team = make_team("邻里互助队", community=yuling, leader=w.other_leader)
    return w


# --- who may see a photo -----------------------------------------------------------------------

TASK_PHOTO_ALLOWED = {
    "anonymous": False,
    "resident": False,
    "outsider": False,
    "other_leader": False,  # another team of the same community
    "other_staff": False,  # staff of another community
    "volunteer": True,  # the holding team
    "leader": True,
    "staff": True,
    "street_staff": True,
    "superuser": True,
}


def test_a_sensitive_tasks_photo_reaches_only_those_who_may_see_the_task(world):
    task = make_task(world.yuling, team=world.team, status="claimed", sensitive=True)
    response = post_photo(world, task, "door.jpg", jpeg_with_gps())
    assert response.status_code == 201, response.content
    url = response.json()["update"]["photo"]
    update = TaskUpdate.objects.get(task=task)
    assert url == f"/photos/task-updates/{update.pk}/"
    for role, allowed in TASK_PHOTO_ALLOWED.items():
        for size in ("", "?size=original"):
            got = client_for(getattr(world, role)).get(url + size)
            assert got.status_code == (200 if allowed else 404), (role, size)
            if allowed:
                assert got["Content-Type"] == "image/jpeg"
                assert got["Cache-Control"].startswith("private")


def test_the_check_is_by_the_tasks_state_now(world):
    task = make_task(world.yuling, team=world.team, status="claimed")
    url = post_photo(world, task, "work.png", png_bytes()).json()["update"]["photo"]
    assert client_for(world.anonymous).get(url).status_code == 200  # an ordinary task
    task.sensitive = True
    task.save(update_fields=["sensitive"])
    assert client_for(world.anonymous).get(url).status_code == 404
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.volunteer).get(url).status_code == 200


def test_photos_are_not_under_the_public_media_url(world, settings):
    task = make_task(world.yuling, team=world.team, status="claimed")
    post_photo(world, task, "work.png", png_bytes())
    update = TaskUpdate.objects.get(task=task)
    assert update.photo.storage.location != default_storage.location
    assert not default_storage.exists(update.photo.name)
    assert str(settings.MEDIA_ROOT) not in update.photo.path


def proposal_with_photo(world, status, **fields):
    proposal = make_proposal(world, status="draft", **fields)
    photo = council_services.add_photos(
        actor=world.resident, proposal=proposal, files=[upload("flat.jpg", jpeg_with_gps())]
    )[0]
    published = status not in ("draft", "submitted")
    Proposal.objects.filter(pk=proposal.pk).update(
        status=status, published_at=proposal.created_at if published else None
    )
    return Proposal.objects.get(pk=proposal.pk), photo


@pytest.mark.parametrize(
    ("status", "hidden", "public"),
    [("draft", False, False), ("discussion", True, False), ("discussion", False, True)],
)
def test_draft_and_hidden_proposal_photos_reach_only_author_and_staff(
    world,
    status,
    hidden,
    public,
):
    proposal, photo = proposal_with_photo(world, status)
    if hidden:
        Proposal.objects.filter(pk=proposal.pk).update(hidden=True)
    url = photo.url
    assert url == f"/photos/proposals/{photo.pk}/"
    expected = {
        "anonymous": public,
        "outsider": public,
        "volunteer": public,  # another resident
        "other_staff": public,
        "resident": True,  # the author
        "staff": True,
        "superuser": True,
    }
    for role, allowed in expected.items():
        got = client_for(getattr(world, role)).get(url)
        assert got.status_code == (200 if allowed else 404), role


def test_the_api_and_pages_give_the_checked_address(world):
    proposal, photo = proposal_with_photo(world, "discussion")
    client = client_for(world.resident)
    detail = client.get(f"/api/v1/proposals/{proposal.pk}").json()
    assert [p["url"] for p in detail["photos"]] == [f"/photos/proposals/{photo.pk}/"]
    html = client.get(proposal.get_absolute_url()).content.decode()
    assert f"/photos/proposals/{photo.pk}/" in html
    assert "/media/proposals/" not in html

    task = make_task(world.yuling, team=world.team, status="claimed")
    url = post_photo(world, task, "work.png", png_bytes()).json()["update"]["photo"]
    assert url in client_for(world.volunteer).get(task.get_absolute_url()).content.decode()
    event = Event.objects.filter(topic=f"task:{task.pk}", type="task.updated").latest("pk")
    assert event.data["update"]["photo"] == url


def test_app_sessions_see_the_photo_too(world):
    """An app sends X-Session-Token, not a cookie: the photo view accepts what the API does."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    task = make_task(world.yuling, team=world.team, status="claimed", sensitive=True)
    url = post_photo(world, task, "work.png", png_bytes()).json()["update"]["photo"]
    session = SessionStore()
    session["_auth_user_id"] = str(world.staff.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = world.staff.get_session_auth_hash()
    session.create()
    assert Client().get(url).status_code == 404
    assert Client().get(url, headers={"X-Session-Token": session.session_key}).status_code == 200
    assert Client().get(url, headers={"X-Session-Token": "nonsense"}).status_code == 404


def test_ids_out_of_range_give_404(world):
    client = client_for(world.staff)
    for path in ("task-updates", "proposals"):
        assert client.get(f"/photos/{path}/99999999999999999999999/").status_code == 404
        assert client.get(f"/photos/{path}/0/").status_code == 404


# --- what is stored ----------------------------------------------------------------------------


def test_stored_name_is_random_and_the_bytes_carry_no_metadata(world):
    task = make_task(world.yuling, team=world.team, status="claimed", sensitive=True)
    post_photo(world, task, "wang-fang-new-address.JPG", jpeg_with_gps())
    update = TaskUpdate.objects.get(task=task)
    assert re.fullmatch(r"task-updates/[A-Za-z0-9_-]{24}\.jpg", update.photo.name)
    assert "wang" not in update.photo.name
    assert_no_metadata(stored_bytes(update.photo))
    served = client_for(world.staff).get(update.photo_url + "?size=original")
    assert served.status_code == 200
    assert served["Content-Disposition"] == 'inline; filename="photo.jpg"'
    assert served["X-Content-Type-Options"] == "nosniff"
    assert_no_metadata(body(served))
    # Two uploads of one file: two unrelated names.
    post_photo(world, task, "wang-fang-new-address.JPG", jpeg_with_gps())
    names = {u.photo.name for u in TaskUpdate.objects.filter(task=task)}
    assert len(names) == 2


def test_the_decoded_type_decides_extension_and_content_type(world):
    task = make_task(world.yuling, team=world.team, status="claimed")
    response = post_photo(world, task, "x.jpg", png_bytes())
    assert response.status_code == 201, response.content
    update = TaskUpdate.objects.get(task=task)
    assert update.photo.name.endswith(".png")
    served = client_for(world.anonymous).get(update.photo_url)
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"] == 'inline; filename="photo.png"'
    with Image.open(io.BytesIO(body(served))) as image:
        assert image.format == "PNG"


def test_webp_stays_webp(world):
    task = make_task(world.yuling, team=world.team, status="claimed")
    buffer = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(buffer, "WEBP")
    assert post_photo(world, task, "p.png", buffer.getvalue()).status_code == 201
    update = TaskUpdate.objects.get(task=task)
    assert update.photo.name.endswith(".webp")
    served = client_for(world.anonymous).get(update.photo_url)
    assert served["Content-Type"] == "image/webp"


def test_the_exif_orientation_is_applied_before_it_is_dropped(world):
    task = make_task(world.yuling, team=world.team, status="claimed")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 10, 10)).save(buffer, "JPEG", exif=exif)
    post_photo(world, task, "turned.jpg", buffer.getvalue())
    with Image.open(io.BytesIO(stored_bytes(TaskUpdate.objects.get(task=task).photo))) as image:
        assert image.size == (20, 40)
        assert not image.getexif()


def test_not_an_image_is_refused_whatever_its_name(world):
    task = make_task(world.yuling, team=world.team, status="claimed")
    response = post_photo(world, task, "x.png", b"<svg onload=alert(1)>not an image</svg>")
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "invalid"
    assert payload["detail"] == "Upload a JPEG, PNG or WebP photo."
    assert not TaskUpdate.objects.filter(task=task).exists()


# --- too many pixels ---------------------------------------------------------------------------

TOO_MANY_PIXELS = "at most 40 megapixels are accepted"


def test_more_than_40_megapixels_is_refused_over_the_api(world):
    data = huge_png()
    assert len(data) < 100  # the header alone says 8000 × 6000
    task = make_task(world.yuling, team=world.team, status="claimed")
    response = post_photo(world, task, "big.png", data)
    assert response.status_code == 400
    payload = response.json()
    assert TOO_MANY_PIXELS in payload["detail"] and "8000 × 6000" in payload["detail"]
    assert payload["code"] == "invalid"
    assert TOO_MANY_PIXELS in payload["errors"]["photo"][0]
    assert not TaskUpdate.objects.filter(task=task).exists()

    proposal = make_proposal(world, status="draft")
    response = client_for(world.resident).post(
        f"/api/v1/proposals/{proposal.pk}/photos", {"photos": [upload("big.png", data)]}
    )
    assert response.status_code == 400
    assert TOO_MANY_PIXELS in response.json()["detail"]
    assert not ProposalPhoto.objects.exists()


def test_more_than_40_megapixels_is_a_form_error_on_the_pages(world):
    task = make_task(world.yuling, team=world.team, status="claimed")
    response = client_for(world.volunteer).post(
        reverse("teams:task_update", args=[task.pk]),
        {"text": "大图", "photo": upload("big.png", huge_png())},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert TOO_MANY_PIXELS in html
    assert 'id="id_photo_error"' in html or "errorlist" in html
    assert not TaskUpdate.objects.filter(task=task).exists()

    response = client_for(world.resident).post(
        reverse("deliberation:proposal_create", args=[world.yuling.pk]),
        {
            "title": "大图",
            "body": "b",
            "category": "other",
            "photos": [upload("big.png", huge_png())],
        },
    )
    assert response.status_code == 400
    assert TOO_MANY_PIXELS in response.content.decode()
    assert not Proposal.objects.filter(title="大图").exists()


def test_the_byte_limit_stays(world):
    task = make_task(world.yuling, team=world.team, status="claimed")
    response = post_photo(world, task, "big.png", png_bytes() + b"\0" * MAX_IMAGE_BYTES)
    assert response.status_code == 400
    assert "5 MB" in response.json()["detail"]


# --- renditions --------------------------------------------------------------------------------


def test_phones_get_a_rendition_by_default(world):
    task = make_task(world.yuling, team=world.team, status="claimed")
    response = post_photo(world, task, "wide.jpg", noisy_jpeg((2000, 1500)))
    assert response.status_code == 201, response.content
    client = client_for(world.anonymous)
    url = response.json()["update"]["photo"]
    small = body(client.get(url))
    original = body(client.get(url + "?size=original"))
    assert len(small) < len(original)
    with Image.open(io.BytesIO(small)) as image:
        assert image.size == (RENDITION_EDGE, 960)
    with Image.open(io.BytesIO(original)) as image:
        assert image.size == (2000, 1500)
    update = TaskUpdate.objects.get(task=task)
    assert update.photo_rendition.name != update.photo.name
    assert_no_metadata(small)


def test_a_small_photo_is_its_own_rendition(world):
    task = make_task(world.yuling, team=world.team, status="claimed")
    url = post_photo(world, task, "small.png", png_bytes()).json()["update"]["photo"]
    assert not TaskUpdate.objects.get(task=task).photo_rendition
    client = client_for(world.anonymous)
    assert body(client.get(url)) == body(client.get(url + "?size=original"))


# --- production: nginx sends the bytes ---------------------------------------------------------


def test_production_hands_the_file_to_nginx_after_the_check(world, settings):
    settings.PRIVATE_MEDIA_ACCEL_REDIRECT = "/_private/"
    task = make_task(world.yuling, team=world.team, status="claimed", sensitive=True)
    post_photo(world, task, "a.png", png_bytes())
    update = TaskUpdate.objects.get(task=task)
    response = client_for(world.staff).get(update.photo_url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_private/{update.photo.name}"
    assert response["Content-Type"] == "image/png"
    assert response.content == b""
    refused = client_for(world.outsider).get(update.photo_url)
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused


def test_production_settings_send_private_files_through_nginx(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    monkeypatch.setenv("ALLOWED_HOSTS", "linli.example")
    monkeypatch.setenv("ALLOW_CONSOLE_SMS", "1")
    monkeypatch.setenv("ALLOW_CONSOLE_EMAIL", "1")
    monkeypatch.delenv("PRIVATE_MEDIA_ACCEL_REDIRECT", raising=False)
    sys.modules.pop("config.settings.production", None)
    try:
        production = importlib.import_module("config.settings.production")
        assert production.PRIVATE_MEDIA_ACCEL_REDIRECT == "/_private/"
        location = production.STORAGES["private"]["OPTIONS"]["location"]
        assert location == production.PRIVATE_MEDIA_ROOT != production.MEDIA_ROOT
    finally:
        sys.modules.pop("config.settings.production", None)


def test_the_nginx_recipe_serves_private_files_only_internally():
    from django.conf import settings

    conf = (settings.BASE_DIR / "site" / "deploy" / "nginx" / "linli.conf").read_text()
    block = conf[conf.index("location /_private/ {") :]
    block = block[: block.index("\n    }")]
    assert "internal;" in block and "alias /var/lib/linli/private/;" in block
    assert conf.count("alias /var/lib/linli/private") == 1


# --- photos stored before ----------------------------------------------------------------------


def test_the_migration_moves_public_photos_out_of_reach(
    world,
    django_capture_on_commit_callbacks,
):
    task = make_task(world.yuling, team=world.team, status="claimed", sensitive=True)
    public = default_storage.save("task-updates/2026/11/wang-fang.jpg", io.BytesIO(jpeg_with_gps()))
    broken = default_storage.save("task-updates/2026/11/broken.png", io.BytesIO(b"nope"))
    kept = TaskUpdate.objects.create(task=task, text="a", photo=public)
    dropped = TaskUpdate.objects.create(task=task, text="b", photo=broken)
    with django_capture_on_commit_callbacks(execute=True):
        count = move_public_images(
            TaskUpdate.objects.exclude(photo="").order_by("pk"), "photo", "photo_rendition"
        )
    assert count == 1
    assert not default_storage.exists(public) and not default_storage.exists(broken)
    kept.refresh_from_db()
    dropped.refresh_from_db()
    assert not dropped.photo
    assert re.fullmatch(r"task-updates/[A-Za-z0-9_-]{24}\.jpg", kept.photo.name)
    assert_no_metadata(stored_bytes(kept.photo))
    assert client_for(world.anonymous).get(kept.photo_url).status_code == 404
    assert client_for(world.staff).get(kept.photo_url).status_code == 200


def test_a_removed_proposal_photo_leaves_no_file(
    world,
    django_capture_on_commit_callbacks,
):
    proposal, photo = proposal_with_photo(world, "draft")
    name = photo.image.name
    assert photo.image.storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        council_services.remove_photo(actor=world.resident, photo=photo)
    assert not photo.image.storage.exists(name)


# --- Wagtail's editorial images ----------------------------------------------------------------


def add_wagtail_image(world, name, data, title="活动照片"):
    from wagtail.models import Collection

    return client_for(world.superuser).post(
        reverse("wagtailimages:add"),
        {
            "title": title,
            "file": upload(name, data),
            "collection": Collection.get_first_root_node().pk,
        },
    )


def test_wagtail_images_are_re_encoded_without_metadata(world):
    from wagtail.images import get_image_model

    response = add_wagtail_image(world, "wang-fang-at-home.jpg", jpeg_with_gps())
    assert response.status_code == 302, response.content.decode()[:2000]
    image = get_image_model().objects.get(title="活动照片")
    assert "wang" not in image.file.name and image.file.name.endswith(".jpg")
    assert_no_metadata(stored_bytes(image.file))
    assert (image.width, image.height) == (64, 48)
    assert image.file_size == image.file.size


def test_wagtail_refuses_other_types_and_too_many_pixels(world):
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "GIF")
    assert add_wagtail_image(world, "a.gif", buffer.getvalue()).status_code == 200
    response = add_wagtail_image(world, "big.png", huge_png())
    assert response.status_code == 200
    assert "megapixels" in response.content.decode() or "pixels" in response.content.decode()
    assert not get_image_model().objects.exists()


def test_wagtail_image_titles_refuse_control_characters(world):
    from wagtail.images import get_image_model

    response = add_wagtail_image(world, "a.jpg", jpeg_with_gps(), title="活动\x1b照片")
    assert response.status_code == 200
    assert response.context["form"].errors["title"]
    assert not get_image_model().objects.exists()


def test_wagtail_multiple_upload_is_re_encoded_and_its_edit_form_works(world):
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    client = client_for(world.superuser)
    response = client.post(
        reverse("wagtailimages:add_multiple"),
        {
            "files[]": upload("IMG_0001.jpg", jpeg_with_gps()),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    assert response.status_code == 200 and response.json()["success"], response.content
    image = get_image_model().objects.get()
    assert_no_metadata(stored_bytes(image.file))
    response = client.post(
        reverse("wagtailimages:edit_multiple", args=[image.pk]),
        {
            f"image-{image.pk}-title": "社区活动",
            f"image-{image.pk}-collection": Collection.get_first_root_node().pk,
            f"image-{image.pk}-tags": "",
        },
    )
    assert response.status_code == 200 and response.json()["success"], response.content
    image.refresh_from_db()
    assert image.title == "社区活动"


def test_wagtail_images_stored_before_are_re_encoded(db):
    from django.core.files.images import ImageFile
    from django.core.management import call_command
    from wagtail.images import get_image_model

    image = get_image_model()(title="旧照片")
    image.file = ImageFile(io.BytesIO(jpeg_with_gps()), name="wang-fang-at-home.jpg")
    image.save()
    clean = get_image_model()(title="干净")
    clean.file = ImageFile(io.BytesIO(png_bytes()), name="clean.png")
    clean.save()
    old_name, clean_name = image.file.name, clean.file.name
    old_hash = image.get_file_hash()
    out = io.StringIO()
    call_command("clean_wagtail_images", stdout=out)
    assert "1 image(s) re-encoded" in out.getvalue()
    image.refresh_from_db()
    clean.refresh_from_db()
    assert image.file.name != old_name and "wang" not in image.file.name
    assert not image.file.storage.exists(old_name)
    assert_no_metadata(stored_bytes(image.file))
    assert image.get_file_hash() != old_hash and image.file_size == image.file.size
    assert clean.file.name == clean_name  # nothing to remove: left alone
    call_command("clean_wagtail_images", stdout=out)
    image.refresh_from_db()
    assert "0 image(s) re-encoded" in out.getvalue().splitlines()[-1]

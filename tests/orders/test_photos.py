"""Order photos are read from their bytes: stored under the detected format's extension, re-encoded
without location metadata, served with an image type and nosniff (never inline as anything else), with
a display-sized copy for pages; a huge pixel header is a form error, not a 500."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import ExifTags, Image

from orders.models import OrderPhoto, OrderStatus
from servicedesk.tenancy.roles import Role
from tests.factories import OrderPhotoFactory
from tests.helpers import text_of

from .conftest import order_url, photo_upload

pytestmark = pytest.mark.django_db
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels (a few bytes of data): what a decompression bomb looks like."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def jpeg_with_gps(size=(40, 20), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, "blue")
    exif = image.getexif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (55.0, 45.0, 21.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (37.0, 37.0, 4.0)
    exif[ExifTags.Base.Model] = "Client's phone"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def served_bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def upload(client, order, *files):
    return client.post(order_url("photo_add", order), {"photos": list(files), "caption": ""}, follow=True)


def test_a_png_with_html_appended_named_html_is_stored_and_served_as_a_png(make_order, member_client):
    order = make_order(OrderStatus.IN_PROGRESS)
    client = member_client(Role.RECEPTION)
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), "red").save(buffer, "PNG")
    upload(client, order, photo_upload("page.html", buffer.getvalue() + HTML, "text/html"))

    photo = OrderPhoto.objects.get(order=order)
    assert photo.image.name.endswith(".png") and photo.display.name.endswith(".jpg")
    with photo.image.open("rb") as handle:
        stored = handle.read()
    assert stored.startswith(b"\x89PNG") and b"<script>" not in stored  # re-encoded: the tail is gone

    served = client.get(order_url("photo", order, photo.pk))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline;") and ".png" in served["Content-Disposition"]
    assert b"<script>" not in served_bytes(served)


def test_an_old_upload_is_served_by_its_bytes_and_never_inline_unless_an_image(make_order, member_client):
    order = make_order(OrderStatus.IN_PROGRESS)
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), "red").save(buffer, "PNG")
    # Stored before this change, under the uploader's extension.
    png_named_html = OrderPhotoFactory(
        tenant=order.tenant, order=order, image=ContentFile(buffer.getvalue() + HTML, name="old.html")
    )
    not_an_image = OrderPhotoFactory(
        tenant=order.tenant, order=order, image=ContentFile(HTML, name="old.html")
    )
    client = member_client(Role.OWNER)

    served = client.get(order_url("photo", order, png_named_html.pk))
    assert (served["Content-Type"], served["X-Content-Type-Options"]) == ("image/png", "nosniff")
    assert served["Content-Disposition"].startswith("inline;")

    served = client.get(order_url("photo", order, not_an_image.pk))
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"
    # Asked for its display copy, it has none to make: the original, still as a download.
    assert (
        client.get(order_url("photo", order, not_an_image.pk) + "?size=display")["Content-Type"]
        == "application/octet-stream"
    )


@pytest.mark.parametrize(
    ("width", "height", "says"),
    [
        (20000, 20000, "not a photo"),  # past Pillow's own bomb limit: refused as it is opened
        (10000, 6000, "is 10000×6000 pixels; at most 50 megapixels"),
    ],
)
def test_a_huge_pixel_header_is_a_form_error_not_a_500(make_order, member_client, width, height, says):
    order = make_order(OrderStatus.IN_PROGRESS)
    response = upload(
        member_client(Role.RECEPTION), order, photo_upload("bomb.png", png_header_only(width, height))
    )
    assert response.status_code == 200
    assert says in text_of(response)
    assert not OrderPhoto.objects.exists()


def test_a_huge_pixel_header_at_intake_and_on_my_jobs_is_a_form_error(make_order, member_client, tenant_a):
    order = make_order(OrderStatus.IN_PROGRESS)
    url = reverse("technicians:job_note", args=[tenant_a.slug, order.number])
    response = member_client(Role.TECHNICIAN).post(
        url, {"text": "", "photo": photo_upload("b.png", png_header_only(20000, 20000))}, follow=True
    )
    assert response.status_code == 200 and "b.png is not a photo" in text_of(response)
    assert not OrderPhoto.objects.exists()


def test_location_metadata_is_stripped_and_the_photo_stays_upright(make_order, member_client):
    order = make_order(OrderStatus.IN_PROGRESS)
    original = jpeg_with_gps(size=(40, 20), orientation=6)  # "rotate 90° clockwise to view"
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    upload(member_client(Role.RECEPTION), order, photo_upload("home.jpg", original, "image/jpeg"))

    photo = OrderPhoto.objects.get(order=order)
    assert photo.image.name.endswith(".jpg")
    for field in (photo.image, photo.display):
        with field.open("rb") as handle:
            data = handle.read()
        assert b"Client's phone" not in data
        with Image.open(io.BytesIO(data)) as stored:
            assert dict(stored.getexif()) == {}
            assert stored.size == (20, 40)  # the orientation is applied to the pixels


def test_pages_show_the_display_copy_and_link_the_original(make_order, member_client):
    order = make_order(OrderStatus.IN_PROGRESS)
    client = member_client(Role.RECEPTION)
    big = io.BytesIO()
    Image.new("RGB", (4000, 3000), "green").save(big, "PNG")
    upload(client, order, photo_upload("camera.png", big.getvalue()))
    photo = OrderPhoto.objects.get(order=order)

    display = client.get(order_url("photo", order, photo.pk) + "?size=display")
    assert display["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served_bytes(display))).size == (1600, 1200)
    original = client.get(order_url("photo", order, photo.pk))
    assert original["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(served_bytes(original))).size == (4000, 3000)

    page = client.get(order_url("detail", order)).content.decode()
    assert f'src="{order_url("photo", order, photo.pk)}?size=display"' in page
    assert f'href="{order_url("photo", order, photo.pk)}"' in page and "full size" in page


def test_an_old_photo_gets_its_display_copy_on_first_request(make_order, member_client):
    order = make_order(OrderStatus.IN_PROGRESS)
    big = io.BytesIO()
    Image.new("RGB", (2000, 1000), "green").save(big, "JPEG")
    photo = OrderPhotoFactory(
        tenant=order.tenant, order=order, image=ContentFile(big.getvalue(), name="old.jpg")
    )
    assert not photo.display

    served = member_client(Role.OWNER).get(order_url("photo", order, photo.pk) + "?size=display")
    assert served["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served_bytes(served))).size == (1600, 800)
    photo.refresh_from_db()
    assert photo.display.name.startswith(f"orders/{order.tenant_id}/") and photo.display.name.endswith(".jpg")


def test_document_images_lose_their_metadata_too(tenant_a, users_a, member_client, settings, tmp_path):
    from documents.models import DocumentSettings

    settings.MEDIA_ROOT = tmp_path / "media"
    response = member_client(Role.MANAGER).post(
        reverse("documents:settings", args=[tenant_a.slug]),
        {
            "logo": photo_upload("logo.gif", jpeg_with_gps(), "image/gif"),
        },
    )
    assert response.status_code == 302
    paper = DocumentSettings.objects.get(tenant=tenant_a)
    assert paper.logo.name.endswith(".jpg")
    with paper.logo.open("rb") as handle, Image.open(handle) as stored:
        assert dict(stored.getexif()) == {}


def test_old_photos_are_normalised_by_the_command(make_order):
    from django.core.management import call_command

    order = make_order(OrderStatus.IN_PROGRESS)
    old = OrderPhotoFactory(
        tenant=order.tenant, order=order, image=ContentFile(jpeg_with_gps(), name="home.jpeg")
    )
    junk = OrderPhotoFactory(tenant=order.tenant, order=order, image=ContentFile(HTML, name="x.html"))
    old_name = old.image.name
    out = io.StringIO()
    call_command("normalise_photos", stdout=out)
    assert out.getvalue().strip() == "normalised: 1, not readable as photos (left as they are): 1"

    old.refresh_from_db()
    assert old.image.name.endswith(".jpg") and old.display.name.endswith(".jpg")
    assert not old.image.storage.exists(old_name)
    with old.image.open("rb") as handle:
        assert b"Client's phone" not in handle.read()
    junk.refresh_from_db()
    assert junk.image.name.endswith(".html") and not junk.display
    call_command("normalise_photos", stdout=io.StringIO())  # again: nothing left to do
    assert OrderPhoto.objects.get(pk=old.pk).image.name == old.image.name

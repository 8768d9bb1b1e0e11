"""Every uploaded image goes through here: order photos (intake, the order page, a technician's job note)
and the documents' logo, signature and stamp.

normalise_image() reads the bytes, never the name:
- the pixel count is checked from the header before anything is decoded (a 20000x20000 header is a
  form error, not a DecompressionBombError and a 500),
- the format is the one Pillow detects, and the stored name gets that format's extension (a PNG with
  HTML appended, named .html, was served as text/html before),
- the image is decoded and saved again: EXIF (GPS: clients' homes), comments and anything appended
  after the image data are gone; EXIF orientation is applied to the pixels first so photos stay upright,
- optionally a display-sized JPEG copy, so pages do not load camera originals.

image_response() serves a stored image with the type read from its bytes, nosniff, and inline only
if it is an image at all (older uploads still carry their uploader's name).
"""

from __future__ import annotations

import io
import posixpath
import warnings
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
DISPLAY_SIZE = 1600  # the long side of the display copy, in pixels
DISPLAY_QUALITY = 82


class ImageRefused(ValidationError):
    """The upload is not an image we take; the message says why, naming the file."""


@dataclass
class NormalisedImage:
    """An image as stored: re-encoded without metadata, named by its real format."""

    file: ContentFile
    format: str
    width: int
    height: int
    display: ContentFile | None = None


def _open(data, *, name: str, max_pixels: int, not_an_image: ImageRefused):
    """Image.open with the pixel limit checked before decoding; Pillow's bomb warnings are errors."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(data)
            width, height = image.size
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        raise not_an_image from None
    if width * height > max_pixels:
        image.close()
        raise ImageRefused(
            _("%(name)s is %(width)s×%(height)s pixels; at most %(limit)s megapixels, please.")
            % {"name": name, "width": width, "height": height, "limit": max_pixels // 1_000_000}
        )
    return image


def normalise_image(
    upload,
    *,
    formats: set[str],
    max_bytes: int,
    max_pixels: int,
    display: bool = False,
    not_an_image: str = "",
) -> NormalisedImage:
    """The upload checked and re-encoded, or ImageRefused with a sentence for the form.

    not_an_image: the message (with %(name)s) for a file that is not one of `formats` or is damaged."""
    name = str(getattr(upload, "name", "") or _("The file"))[:80]
    refused = ImageRefused((not_an_image or _("%(name)s is not an image we can read.")) % {"name": name})
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ImageRefused(
            _("%(name)s is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"name": name, "size": round(size / 1_048_576, 1), "limit": round(max_bytes / 1_048_576, 1)}
        )
    upload.seek(0)
    data = io.BytesIO(upload.read(max_bytes + 1))
    upload.seek(0)
    if len(data.getvalue()) > max_bytes:
        raise ImageRefused(
            _("%(name)s is too large; the limit is %(limit)s MB.")
            % {"name": name, "limit": round(max_bytes / 1_048_576, 1)}
        )
    with _open(data, name=name, max_pixels=max_pixels, not_an_image=refused) as image:
        if image.format not in formats:
            raise refused
        try:
            image.verify()
        except Exception:  # Pillow raises many kinds for broken files
            raise refused from None
    data.seek(0)
    with _open(data, name=name, max_pixels=max_pixels, not_an_image=refused) as image:
        fmt = image.format
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image.load()
                upright = ImageOps.exif_transpose(image)
                stored = _encode(upright, fmt)
                copy = _display_copy(upright) if display else None
        except Exception:  # truncated data, a codec error, a bomb found while decoding ...
            raise refused from None
        width, height = upright.size
    return NormalisedImage(
        file=ContentFile(stored, name=f"image.{EXTENSIONS[fmt]}"),
        format=fmt,
        width=width,
        height=height,
        display=ContentFile(copy, name="display.jpg") if copy is not None else None,
    )


def _encode(image: Image.Image, fmt: str) -> bytes:
    """Save again in the same format with no EXIF, XMP or comments (only the colour profile is kept)."""
    buffer = io.BytesIO()
    options: dict = {}
    icc = image.info.get("icc_profile")
    if icc and fmt in {"JPEG", "PNG", "WEBP"}:
        options["icc_profile"] = icc
    if fmt == "JPEG":
        if image.mode not in {"RGB", "L", "CMYK"}:
            image = image.convert("RGB")
        options.update(quality=90)
    elif fmt == "WEBP":
        options.update(quality=90)
    elif fmt == "GIF" and image.mode not in {"P", "L"}:
        image = image.convert("P")
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _display_copy(image: Image.Image) -> bytes:
    copy = image.copy()
    copy.thumbnail((DISPLAY_SIZE, DISPLAY_SIZE))
    if copy.mode in {"RGBA", "LA", "P", "PA"}:
        copy = copy.convert("RGBA")
        background = Image.new("RGB", copy.size, "white")
        background.paste(copy, mask=copy.getchannel("A"))
        copy = background
    elif copy.mode != "RGB":
        copy = copy.convert("RGB")
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=DISPLAY_QUALITY, optimize=True)
    return buffer.getvalue()


def normalise_photo(upload) -> NormalisedImage:
    """An order photo (intake, the order page, a technician's note): JPEG, PNG or WebP, with a display copy."""
    return normalise_image(
        upload,
        formats=PHOTO_FORMATS,
        max_bytes=settings.ORDER_PHOTO_MAX_BYTES,
        max_pixels=settings.ORDER_PHOTO_MAX_PIXELS,
        display=True,
        not_an_image=_("%(name)s is not a photo (JPEG, PNG or WebP)."),
    )


def detect_format(handle) -> str | None:
    """The image format of an open file, read from its header (None if it is not an image)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(handle) as image:
                return image.format
    except Exception:  # not an image, or a header Pillow refuses
        return None
    finally:
        handle.seek(0)


def image_response(field_file, *, filename: str = "") -> FileResponse:
    """Serve a stored image: its real type, nosniff, inline only when it is one of our image formats.

    Raises FileNotFoundError (or OSError) when the file is gone."""
    handle = field_file.open("rb")
    fmt = detect_format(handle)
    filename = filename or posixpath.basename(field_file.name)
    if fmt in CONTENT_TYPES:
        response = FileResponse(handle, content_type=CONTENT_TYPES[fmt])
        disposition = "inline"
        filename = f"{posixpath.splitext(filename)[0]}.{EXTENSIONS[fmt]}"
    else:  # an old upload that is not an image after all: a download, never a page of our origin
        response = FileResponse(handle, content_type="application/octet-stream")
        disposition = "attachment"
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "")
    response["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response

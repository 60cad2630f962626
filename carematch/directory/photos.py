"""Providers' photos, handled as untrusted files.

What a file is, is decided by decoding it with Pillow, never by its name or the content type
its sender declared. A file is refused before decoding when it is larger than MAX_BYTES, and
after reading its header when a side is longer than MAX_SIDE or it has more pixels than
MAX_PIXELS (a decompression bomb: a small file that decodes to gigabytes). What is kept is
never the uploaded file: the pixels alone are re-encoded as JPEG, after the EXIF orientation
is applied, so no EXIF (GPS included), ICC profile, XMP, comment or trailing data survives.

`reencode()` is pure (bytes in, bytes out); `store()`, `open_stored()` and `delete()` go
through Django's storage API (the "photos" storage in settings: the local disk by default,
an S3-compatible bucket when configured). Stored names are random, so a photo's address
changes whenever the photo does, and browsers may keep it for a year.
"""

from __future__ import annotations

import io
import re
import secrets
import struct
import warnings
from dataclasses import dataclass
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.http import HttpRequest
from django.urls import reverse
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 6000
# Every accepted image has at most MAX_SIDE x MAX_SIDE pixels; Pillow itself is told the same,
# so that anything larger is a DecompressionBombError before a pixel is decoded.
MAX_PIXELS = MAX_SIDE * MAX_SIDE
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
LARGE, SMALL = 400, 96
SIZES = {"large": LARGE, "small": SMALL}
JPEG_QUALITY = 85
CONTENT_TYPE = "image/jpeg"
STORAGE_ALIAS = "photos"
# Only names that store() makes are ever opened: no path can be asked for.
NAME = re.compile(r"^[A-Za-z0-9_-]{22}-(400|96)\.jpg$")

_ACCEPTED_TEXT = "a JPEG, PNG, WebP or GIF image"


class PhotoRejected(ValueError):
    """The file is not a photo carematch keeps; the message says why, for the person."""


@dataclass(frozen=True)
class Reencoded:
    large: bytes  # LARGE x LARGE JPEG
    small: bytes  # SMALL x SMALL JPEG


def check_size(size: int | None) -> None:
    """Refuse a file by its size alone, before anything reads it."""
    if size is not None and size > MAX_BYTES:
        raise PhotoRejected(f"is {size / 1024 / 1024:.1f} MB; a photo can be at most 5 MB")


def read_limited(file: IO[bytes], *, size: int | None = None) -> bytes:
    """The file's bytes, refusing more than MAX_BYTES without reading past them."""
    check_size(size)
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoRejected("is larger than 5 MB; a photo can be at most 5 MB")
    if not data:
        raise PhotoRejected("is empty; choose a photo")
    return data


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
    if image.format not in ACCEPTED_FORMATS:
        raise PhotoRejected(f"is a {image.format or 'file'} image; upload {_ACCEPTED_TEXT}")
    width, height = image.size
    if width > MAX_SIDE or height > MAX_SIDE:
        raise PhotoRejected(f"is {width:,} x {height:,} pixels; a side can be at most {MAX_SIDE:,} pixels")
    if width < 1 or height < 1:
        raise PhotoRejected("has no pixels")
    return image


def _decode(data: bytes) -> Image.Image:
    """The first frame's pixels, in RGB, upright; every check above passed."""
    _open(data).verify()  # the whole file's structure and checksums, without keeping pixels
    image = _open(data)  # verify() leaves the image unusable: open it again to decode
    image.seek(0)
    image.load()
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")


def _square(image: Image.Image, side: int) -> bytes:
    fitted = ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    # A new image from the pixels alone: nothing of the source's info (EXIF, ICC, XMP, comments) comes along.
    clean = Image.frombytes("RGB", fitted.size, fitted.tobytes())
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def reencode(data: bytes) -> Reencoded:
    """Decode `data` as an image and re-encode its pixels as LARGE and SMALL square JPEGs
    (centre crop). Raises PhotoRejected, with the reason, for anything else."""
    if len(data) > MAX_BYTES:
        raise PhotoRejected("is larger than 5 MB; a photo can be at most 5 MB")
    with warnings.catch_warnings():
        # A DecompressionBombWarning (more pixels than MAX_PIXELS) is a refusal here, never a log line.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _decode(data)
            return Reencoded(large=_square(image, LARGE), small=_square(image, SMALL))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected(
                f"has too many pixels to be a photo (at most {MAX_SIDE:,} x {MAX_SIDE:,})"
            ) from None
        except PhotoRejected:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, IndexError, EOFError,
                KeyError, struct.error):
            # Whatever Pillow says about a broken file, the person hears one thing.
            raise PhotoRejected(f"is not an image carematch can read; upload {_ACCEPTED_TEXT}") from None


# --- Storage -----------------------------------------------------------------------------------


def storage() -> Storage:
    return storages[STORAGE_ALIAS]


def store(photo: Reencoded) -> tuple[str, str]:
    """Save both sizes under new random names; returns (large name, small name)."""
    key = secrets.token_urlsafe(16)  # 22 characters of [A-Za-z0-9_-]
    target = storage()
    large = target.save(f"{key}-{LARGE}.jpg", ContentFile(photo.large))
    try:
        small = target.save(f"{key}-{SMALL}.jpg", ContentFile(photo.small))
    except Exception:
        target.delete(large)
        raise
    return large, small


def delete(*names: str) -> None:
    """Remove stored files; a name that is not there is no error."""
    target = storage()
    for name in names:
        if name and NAME.fullmatch(name):
            target.delete(name)


def url(name: str, *, request: HttpRequest | None = None) -> str | None:
    """Where a stored photo is served (carematch serves them itself, whatever the storage), or
    None when there is none, or when the stored name is not one store() makes (such a file is
    never served, so the page shows initials instead of a broken image); absolute when
    `request` is given."""
    if not name or not NAME.fullmatch(name):
        return None
    path = reverse("directory:photo", kwargs={"name": name})
    return request.build_absolute_uri(path) if request is not None else path


def open_stored(name: str) -> IO[bytes] | None:
    """The stored file `name` opened for reading, or None when the name is not one store()
    makes or no such file exists."""
    if not NAME.fullmatch(name):
        return None
    target = storage()
    try:
        return target.open(name, "rb")
    except (FileNotFoundError, OSError):
        return None

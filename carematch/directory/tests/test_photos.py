"""Providers' photos are untrusted files: decoded to decide what they are, refused with a
reason naming the photo when they are not a photo carematch keeps (never a 500, never a stored
file), stripped of every metadata, stored re-encoded at 400 and 96 pixels under random names,
served with a year's caching, and replaced or removed with the history saying so."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.directory import photos
from carematch.directory.models import ProfileChange, Provider
from carematch.directory.services import provider_photo_remove, provider_photo_set
from carematch.lib.errors import InvalidInput
from carematch.tests.helpers import assert_error_shape

from .factories import ProviderFactory

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def stored_files() -> set[str]:
    root = Path(settings.STORAGES["photos"]["OPTIONS"]["location"])
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def png_with_gps(size: tuple[int, int] = (800, 600)) -> bytes:
    """A PNG carrying GPS coordinates and a camera make in EXIF, an ICC profile and a text chunk."""
    from PIL import PngImagePlugin

    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (39.0, 44.0, 30.0), 3: "W", 4: (104.0, 59.0, 2.0)}
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "Taken at home, 12 Example Street")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, format="PNG", exif=exif, icc_profile=icc, pnginfo=text)
    return out.getvalue()


def image_bytes(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 0 if mode == "1" else (10, 90, 160) if mode == "RGB" else 128).save(out, format=fmt)
    return out.getvalue()


def bomb() -> bytes:
    """A 20,000 x 20,000 bilevel PNG: about 50 KB that decodes to 400 million pixels."""
    return image_bytes((20_000, 20_000), mode="1")


@pytest.fixture
def provider():
    return ProviderFactory(first_name="Dana", last_name="Ruiz", user=UserFactory(role=Role.PROVIDER))


def read_stored(name: str) -> Image.Image:
    handle = photos.open_stored(name)
    assert handle is not None, name
    with handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


# --- What is kept ----------------------------------------------------------------------------------


def test_a_png_with_gps_exif_comes_back_without_any_metadata_at_400_and_96_pixels(client, provider):
    source = Image.open(io.BytesIO(png_with_gps()))
    assert source.getexif().get(GPS_IFD) is not None and "icc_profile" in source.info  # the test's own premise

    client.force_login(provider.user)
    upload = SimpleUploadedFile("holiday.png", png_with_gps(), content_type="image/png")
    response = client.post("/provider/profile/photo/", {"photo": upload})

    assert response.status_code == 302
    provider.refresh_from_db()
    for name, side in ((provider.photo, 400), (provider.photo_small, 96)):
        stored = read_stored(name)
        assert (stored.format, stored.size) == ("JPEG", (side, side))
        assert dict(stored.getexif()) == {}
        assert not {"exif", "icc_profile", "xmp", "comment", "Comment", "photoshop", "adobe"} & set(stored.info)
        raw = photos.storage().open(name).read()
        assert b"Exif" not in raw and b"PhoneMaker" not in raw and b"Example Street" not in raw


def test_orientation_is_applied_before_the_metadata_goes(provider):
    image = Image.new("RGB", (300, 200), (255, 255, 255))
    image.paste((0, 0, 0), (0, 0, 100, 200))  # black on the left
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # shown turned 90 degrees clockwise: the black ends up on top
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    saved = provider_photo_set(provider=provider, file=io.BytesIO(out.getvalue()))
    stored = read_stored(saved.photo).convert("L")
    assert stored.getpixel((200, 20)) < 60 and stored.getpixel((200, 380)) > 200
    assert stored.getpixel((20, 200)) > 200  # upright, the left edge is not black


@pytest.mark.parametrize(("fmt", "mode"), [("JPEG", "RGB"), ("WEBP", "RGB"), ("GIF", "P"), ("PNG", "RGBA")])
def test_jpeg_webp_gif_and_transparent_png_are_kept_as_jpeg(provider, fmt, mode):
    saved = provider_photo_set(provider=provider, file=io.BytesIO(image_bytes((500, 700), fmt, mode)))
    assert read_stored(saved.photo).size == (400, 400)
    assert read_stored(saved.photo_small).size == (96, 96)


def test_stored_names_are_random_and_never_the_uploaded_name(client, provider):
    client.force_login(provider.user)
    client.post("/provider/profile/photo/", {"photo": SimpleUploadedFile("dana.png", image_bytes((200, 200)))})
    first = Provider.objects.get(pk=provider.pk).photo
    client.post("/provider/profile/photo/", {"photo": SimpleUploadedFile("dana.png", image_bytes((200, 200)))})
    second = Provider.objects.get(pk=provider.pk).photo
    assert first != second and "dana" not in first and photos.NAME.fullmatch(second)


# --- What is refused ---------------------------------------------------------------------------------

REFUSED = [
    pytest.param(lambda: b"\xff\xd8\xff\xe0" + os.urandom(7 * 1024 * 1024), "portrait.jpg", "image/jpeg",
                 "at most 5 MB", id="7 MB"),
    pytest.param(lambda: image_bytes((10_000, 40), mode="L"), "wide.png", "image/png", "at most 6,000 pixels",
                 id="10,000 px"),
    pytest.param(lambda: b"Not a picture at all, just words.\n" * 20, "me.jpg", "image/jpeg",
                 "is not an image carematch can read", id="text named .jpg"),
    pytest.param(bomb, "small.png", "image/png", "too many pixels", id="decompression bomb"),
    pytest.param(lambda: image_bytes((300, 300), "BMP"), "me.png", "image/png", "is not an image carematch can read",
                 id="BMP named .png"),
    pytest.param(lambda: image_bytes((300, 300), "PNG")[:200], "cut.png", "image/png",
                 "is not an image carematch can read", id="truncated PNG"),
]


@pytest.mark.parametrize(("make", "filename", "content_type", "message"), REFUSED)
def test_the_page_refuses_what_is_not_a_photo_with_a_form_error_naming_it(
    client, provider, make, filename, content_type, message,
):
    before = stored_files()
    client.force_login(provider.user)
    response = client.post("/provider/profile/photo/",
                           {"photo": SimpleUploadedFile(filename, make(), content_type=content_type)})
    assert response.status_code == 200
    errors = response.context["photo_form"].errors
    assert list(errors) == ["photo"] and message in errors["photo"][0], errors
    html = response.content.decode()
    assert 'id="id_photo_error"' in html and message in html
    assert Provider.objects.get(pk=provider.pk).photo == ""
    assert stored_files() == before
    assert not ProfileChange.objects.filter(provider=provider).exists()


@pytest.mark.parametrize(("make", "filename", "content_type", "message"), REFUSED)
def test_the_api_refuses_what_is_not_a_photo_with_422_naming_it(
    client, provider, make, filename, content_type, message,
):
    before = stored_files()
    response = client.post(f"/api/v1/providers/{provider.pk}/photo",
                           {"photo": SimpleUploadedFile(filename, make(), content_type=content_type)},
                           **auth_header(provider.user))
    body = assert_error_shape(response, 422, "invalid_input")
    assert list(body["fields"]) == ["photo"] and message in body["fields"]["photo"]
    assert stored_files() == before


def test_no_file_is_a_field_error_naming_the_photo(client, provider):
    client.force_login(provider.user)
    response = client.post("/provider/profile/photo/", {})
    assert response.context["photo_form"].errors == {"photo": ["Choose a photo to upload."]}
    api = client.post(f"/api/v1/providers/{provider.pk}/photo", {}, **auth_header(provider.user))
    assert list(assert_error_shape(api, 422)["fields"]) == ["photo"]


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=2048),
    st.binary(max_size=1024).map(lambda tail: b"\x89PNG\r\n\x1a\n" + tail),
    st.binary(max_size=1024).map(lambda tail: b"\xff\xd8\xff\xe0" + tail),
    st.binary(max_size=1024).map(lambda tail: b"GIF89a" + tail),
    st.binary(max_size=1024).map(lambda tail: b"RIFF\x00\x00\x00\x00WEBPVP8 " + tail),
))
def test_random_bytes_are_refused_naming_the_photo_and_nothing_is_stored(provider, data):
    before = stored_files()
    with pytest.raises(InvalidInput) as refused:
        provider_photo_set(provider=provider, file=io.BytesIO(data))
    assert list(refused.value.fields or {}) == ["photo"]
    assert stored_files() == before


def test_pillow_warnings_never_leak_from_a_refusal(provider, recwarn):
    with pytest.raises(InvalidInput):
        provider_photo_set(provider=provider, file=io.BytesIO(image_bytes((7000, 6000), mode="1")))
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


# --- Serving -----------------------------------------------------------------------------------------


def test_a_photo_is_served_as_jpeg_for_a_year_with_debug_off(client, provider, settings):
    settings.DEBUG = False
    saved = provider_photo_set(provider=provider, file=io.BytesIO(image_bytes((640, 480))))
    for name, side in ((saved.photo, 400), (saved.photo_small, 96)):
        response = client.get(f"/media/photos/{name}", secure=True)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (side, side)


@pytest.mark.parametrize("name", ["nothere-400.jpg", "..%2F..%2Fsettings.py", "A" * 22 + "-400.jpg"])
def test_anything_but_a_stored_photo_is_not_found(client, name):
    assert client.get(f"/media/photos/{name}").status_code == 404


def test_the_public_profile_shows_the_photo_with_alt_text_or_the_initials(client, provider):
    html = client.get(f"/providers/{provider.pk}/").content.decode()
    assert '<div class="avatar avatar-large" aria-hidden="true">DR</div>' in html
    saved = provider_photo_set(provider=provider, file=io.BytesIO(image_bytes((300, 300))))
    html = client.get(f"/providers/{provider.pk}/").content.decode()
    assert f'src="/media/photos/{saved.photo}"' in html and 'alt="Photo of Dana Ruiz"' in html


# --- Replacing and removing ----------------------------------------------------------------------------


def test_replacing_deletes_the_old_files_after_commit_and_the_history_says_so(
    provider, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        first = provider_photo_set(provider=provider, file=io.BytesIO(image_bytes((300, 300))))
    old = {first.photo, first.photo_small}
    with django_capture_on_commit_callbacks(execute=True):
        second = provider_photo_set(provider=provider, file=io.BytesIO(image_bytes((300, 300))))
    assert not old & stored_files()
    assert {second.photo, second.photo_small} <= stored_files()
    changes = list(ProfileChange.objects.filter(provider=provider).order_by("id").values_list("changes", flat=True))
    assert changes == [{"photo": {"old": "", "new": first.photo}},
                       {"photo": {"old": first.photo, "new": second.photo}}]


def test_a_coordinator_removes_a_photo_and_the_history_names_them(client, provider, django_capture_on_commit_callbacks):
    saved = provider_photo_set(provider=provider, file=io.BytesIO(image_bytes((300, 300))))
    coordinator = UserFactory(role=Role.COORDINATOR, email="coordinator@example.test")
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/directory/{provider.pk}/photo/remove/")
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.photo, provider.photo_small) == ("", "")
    assert not {saved.photo, saved.photo_small} & stored_files()
    html = client.get(f"/staff/directory/{provider.pk}/").content.decode()
    assert "Photo removed" in html and "coordinator@example.test (a coordinator)" in html


def test_a_coordinator_uploads_a_photo_for_a_provider(client, provider):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    response = client.post(f"/staff/directory/{provider.pk}/photo/",
                           {"photo": SimpleUploadedFile("p.webp", image_bytes((500, 500), "WEBP"))})
    assert response.status_code == 302
    assert Provider.objects.get(pk=provider.pk).photo


def test_removing_when_there_is_no_photo_changes_nothing(provider):
    provider_photo_remove(provider=provider)
    assert not ProfileChange.objects.filter(provider=provider).exists()


# --- The API -------------------------------------------------------------------------------------------


def test_the_provider_uploads_their_own_photo_on_the_api_and_gets_its_address(client, provider):
    response = client.post(f"/api/v1/providers/{provider.pk}/photo",
                           {"photo": SimpleUploadedFile("me.jpg", image_bytes((900, 1200), "JPEG"))},
                           **auth_header(provider.user))
    assert response.status_code == 200
    url = response.json()["photo_url"]
    provider.refresh_from_db()
    assert url == f"http://testserver/media/photos/{provider.photo}"
    profile = client.get(f"/api/v1/providers/{provider.pk}", **auth_header(UserFactory())).json()
    assert profile["photo_url"] == url
    removed = client.delete(f"/api/v1/providers/{provider.pk}/photo", **auth_header(provider.user))
    assert removed.json() == {"photo_url": None}


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER])
def test_nobody_else_but_a_coordinator_changes_a_providers_photo(client, provider, role):
    other = UserFactory(role=role)
    if role == Role.PROVIDER:
        ProviderFactory(user=other)
    upload = {"photo": SimpleUploadedFile("me.png", image_bytes((300, 300)))}
    assert_error_shape(client.post(f"/api/v1/providers/{provider.pk}/photo", upload, **auth_header(other)), 403)
    assert_error_shape(client.delete(f"/api/v1/providers/{provider.pk}/photo", **auth_header(other)), 403)
    assert Provider.objects.get(pk=provider.pk).photo == ""
    coordinator = UserFactory(role=Role.COORDINATOR)
    upload = {"photo": SimpleUploadedFile("me.png", image_bytes((300, 300)))}
    assert client.post(f"/api/v1/providers/{provider.pk}/photo", upload, **auth_header(coordinator)).status_code == 200
    assert_error_shape(client.post("/api/v1/providers/987654/photo", upload, **auth_header(coordinator)), 404)


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", b'{"photo": "aGVsbG8="}'),
    ("text/plain", b"photo"),
    ("multipart/form-data; boundary=XyZ",
     b'--XyZ\r\nContent-Disposition: form-data; name="photo"\r\n\r\nhi\r\n--XyZ--\r\n'),
])
def test_an_upload_sent_as_anything_but_a_file_is_422_naming_the_photo(client, provider, content_type, body):
    response = client.generic("POST", f"/api/v1/providers/{provider.pk}/photo", data=body,
                              content_type=content_type, **auth_header(provider.user))
    assert list(assert_error_shape(response, 422)["fields"]) == ["photo"]


def test_a_multipart_body_that_cannot_be_read_is_400(client, provider):
    response = client.generic("POST", f"/api/v1/providers/{provider.pk}/photo", data=b"--XyZ\r\nbroken",
                              content_type="multipart/form-data", **auth_header(provider.user))
    assert_error_shape(response, 400)

"""Movie posters: uploaded by an admin as the image itself, re-encoded by the server (upright,
bounded, WebP, no metadata), served at the movie's `poster_url` with an ETag; and every upload
that is not a usable image refused with a 4xx that changes nothing, never a 500."""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from tests.api import Headers, create_movie, poster_image, problem, upload_poster

from boxoffice.config import Settings

BOX = (480, 720)


def put(
    client: httpx.Client,
    headers: Headers,
    movie_id: str,
    body: bytes | Iterator[bytes],
    kind: str,
) -> httpx.Response:
    return client.put(
        f"/api/v1/movies/{movie_id}/poster",
        content=body,
        headers={**headers, "Content-Type": kind},
    )


def photo_with_metadata() -> bytes:
    """A landscape JPEG a phone took sideways (EXIF orientation 6: turn it a quarter to see it
    upright), naming its camera and where it was, with a colour profile."""
    image = Image.new("RGB", (1800, 1200), "navy")
    exif = image.getexif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (19.0, 4.0, 30.0)}  # GPS: in Mumbai
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, icc_profile=b"\0" * 128)
    return buffer.getvalue()


def test_an_upload_is_served_upright_bounded_as_webp_with_no_metadata(
    client: httpx.Client, admin: Headers
) -> None:
    movie = create_movie(client, admin)
    assert movie["poster_url"] is None
    uploaded = put(client, admin, movie["id"], photo_with_metadata(), "image/jpeg")
    assert uploaded.status_code == 200, uploaded.text
    url = uploaded.json()["poster_url"]
    assert url.startswith(f"/api/v1/movies/{movie['id']}/poster?v=")
    assert client.get(f"/api/v1/movies/{movie['id']}").json()["poster_url"] == url

    served = client.get(url)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["etag"] == f'"{url.rsplit("=", 1)[1]}"'
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "WEBP"
    assert image.size == BOX  # turned upright (portrait), then fitted into the box
    assert image.getexif() == {}
    assert not {"exif", "icc_profile", "xmp"} & set(image.info)
    assert b"SecretCam" not in served.content


def test_revalidation_is_answered_without_the_image_and_a_new_poster_has_a_new_address(
    client: httpx.Client, admin: Headers
) -> None:
    movie = upload_poster(client, admin, create_movie(client, admin)["id"])
    stable = f"/api/v1/movies/{movie['id']}/poster"
    first = client.get(stable)
    assert first.headers["cache-control"] == "public, no-cache"  # no version: ask again
    etag = first.headers["etag"]
    again = client.get(stable, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(stable, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304

    replaced = upload_poster(client, admin, movie["id"], poster_image(colour="gold"))
    assert replaced["poster_url"] != movie["poster_url"]
    assert client.get(stable, headers={"If-None-Match": etag}).status_code == 200
    old_address = client.get(movie["poster_url"])  # the old version's address: today's poster
    assert old_address.headers["etag"] != etag
    assert old_address.headers["cache-control"] == "public, no-cache"
    assert client.get(replaced["poster_url"]).content == old_address.content


def test_a_show_names_its_movies_poster(
    client: httpx.Client, admin: Headers, show: dict[str, Any]
) -> None:
    movie = upload_poster(client, admin, show["movie_id"])
    assert (
        client.get(f"/api/v1/shows/{show['id']}").json()["movie"]["poster_url"]
        == (movie["poster_url"])
    )
    listed = client.get("/api/v1/movies").json()["items"]
    assert [m["poster_url"] for m in listed if m["id"] == movie["id"]] == [movie["poster_url"]]


def test_a_poster_is_taken_down(client: httpx.Client, admin: Headers) -> None:
    movie = upload_poster(client, admin, create_movie(client, admin)["id"])
    assert client.delete(f"/api/v1/movies/{movie['id']}/poster", headers=admin).status_code == 204
    assert client.get(f"/api/v1/movies/{movie['id']}").json()["poster_url"] is None
    problem(client.get(f"/api/v1/movies/{movie['id']}/poster"), 404)
    gone = client.delete(f"/api/v1/movies/{movie['id']}/poster", headers=admin)
    assert gone.status_code == 204  # nothing to take down: done


def test_only_an_admin_uploads_and_an_unknown_movie_has_none(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    movie = create_movie(client, admin)
    problem(put(client, {}, movie["id"], poster_image(), "image/jpeg"), 401)
    problem(put(client, customer, movie["id"], poster_image(), "image/jpeg"), 403)
    problem(client.delete(f"/api/v1/movies/{movie['id']}/poster", headers=customer), 403)
    unknown = "00000000-0000-4000-8000-000000000000"
    problem(put(client, admin, unknown, poster_image(), "image/jpeg"), 404)
    problem(client.get(f"/api/v1/movies/{unknown}/poster"), 404)
    problem(client.get(f"/api/v1/movies/{movie['id']}/poster"), 404)  # none uploaded


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` pixels, with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 100)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 90), "red").save(buffer, "GIF")
    return buffer.getvalue()


REFUSED = [
    # (what, body, declared type, status)
    ("a text body", b"hello", "text/plain", 415),
    ("no type at all", b"", "", 415),
    ("a GIF, said to be one", gif(), "image/gif", 415),
    ("a GIF, said to be a PNG", gif(), "image/png", 415),
    (
        "an SVG (a script could ride in it)",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        "image/png",
        415,
    ),
    ("random bytes", os.urandom(2048), "image/jpeg", 415),
    ("nothing", b"", "image/jpeg", 422),
    ("a PNG cut short", poster_image(kind="PNG")[:300], "image/png", 422),
    ("a JPEG cut short", poster_image()[:400], "image/jpeg", 422),
    ("a PNG claiming 200 megapixels", png_claiming(20_000, 10_000), "image/png", 422),
    ("a PNG claiming 10 gigapixels", png_claiming(100_000, 100_000), "image/png", 422),
    ("a PNG claiming 25 megapixels, with no data", png_claiming(5000, 5000), "image/png", 422),
]


@pytest.mark.parametrize(
    ("body", "kind", "status"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED]
)
def test_what_is_not_a_usable_image_is_refused_and_changes_nothing(
    client: httpx.Client, admin: Headers, body: bytes, kind: str, status: int
) -> None:
    movie = upload_poster(client, admin, create_movie(client, admin)["id"])
    problem(put(client, admin, movie["id"], body, kind), status)
    assert client.get(f"/api/v1/movies/{movie['id']}").json() == movie
    assert client.get(movie["poster_url"]).status_code == 200


def test_a_body_past_the_poster_limit_is_413_and_one_within_it_is_taken(
    client: httpx.Client, admin: Headers
) -> None:
    limit = Settings.model_fields["max_poster_bytes"].default
    movie = upload_poster(client, admin, create_movie(client, admin)["id"])
    problem(put(client, admin, movie["id"], b"\xff" * (limit + 1), "image/jpeg"), 413)

    def chunked() -> Iterator[bytes]:  # no Content-Length
        for _ in range(limit // 65536 + 1):
            yield b"\xff" * 65536

    problem(put(client, admin, movie["id"], chunked(), "image/jpeg"), 413)
    assert client.get(f"/api/v1/movies/{movie['id']}").json() == movie

    # Larger than any other request may be (MAX_REQUEST_BYTES, 1 MiB), within a poster's.
    noise = Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    assert buffer.tell() > Settings.model_fields["max_request_bytes"].default
    taken = put(client, admin, movie["id"], buffer.getvalue(), "image/png")
    assert taken.status_code == 200, taken.text


SEEDS = [
    poster_image((60, 90)),
    poster_image((60, 90), kind="PNG"),
    poster_image((60, 90), kind="WEBP"),
]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A small JPEG, PNG or WebP with some bytes changed, cut, or inserted."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data) - 1))
        match draw(st.sampled_from(["flip", "cut", "insert"])):
            case "flip":
                data[at] = draw(st.integers(0, 255))
            case "cut":
                del data[at : at + draw(st.integers(1, 64))]
            case "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=32))
        if not data:
            break
    return bytes(data)


@pytest.fixture
def fuzzed_movie(client: httpx.Client, admin: Headers) -> dict[str, Any]:
    return {"admin": admin, "movie": create_movie(client, admin)}


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=damaged(), kind=st.sampled_from(["image/jpeg", "image/png", "image/webp"]))
def test_damaged_images_are_taken_or_refused_never_a_server_error(
    client: httpx.Client, fuzzed_movie: dict[str, Any], body: bytes, kind: str
) -> None:
    movie = fuzzed_movie["movie"]
    answer = put(client, fuzzed_movie["admin"], movie["id"], body, kind)
    assert answer.status_code in (200, 415, 422), answer.text
    if answer.status_code == 200:
        served = client.get(answer.json()["poster_url"])
        assert Image.open(io.BytesIO(served.content)).format == "WEBP"
    else:
        problem(answer, answer.status_code)

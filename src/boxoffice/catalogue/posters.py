"""Posters: the image an admin uploads for a movie, decoded and re-encoded here before it is kept.

What the shop serves is always a picture the server drew itself: a WebP no larger than `BOX`,
with none of the upload's metadata (a phone photo's GPS position and camera, comments, colour
profiles) and none of its format's tricks. An upload is refused before anything is kept: too
large a body (413, by the body-size limit in front of the routes), not a JPEG, PNG or WebP
(415), damaged or too many pixels to decode (422).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue import repository, service
from boxoffice.catalogue.errors import (
    MovieNotFound,
    NotAnImage,
    PosterNotFound,
    UnreadableImage,
)
from boxoffice.catalogue.models import Movie, MoviePoster
from boxoffice.logs import get_logger

log = get_logger("boxoffice.posters")

ACCEPTED = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}  # media type: format
FORMATS = tuple(ACCEPTED.values())
MAX_PIXELS = 36_000_000  # of an upload, read from its header before decoding: bounds the memory
BOX = (480, 720)  # the largest poster served (2:3): twice a movie card's width on a phone
MEDIA_TYPE = "image/webp"
QUALITY = 80
# One decode at a time in a process: an upload's decoded pixels can take ~150 MB.
_DECODING = threading.Lock()
# EXIF orientations that turn the picture a quarter: its box is turned too before resizing.
_QUARTER_TURNS = {5, 6, 7, 8}


@dataclass(frozen=True)
class Encoded:
    image: bytes
    width: int
    height: int


def etag_of(image: bytes) -> str:
    return hashlib.sha256(image).hexdigest()[:32]


def reencode(data: bytes) -> Encoded:
    """The poster to keep, from an upload's bytes: upright, no larger than `BOX`, as WebP, with
    no metadata. Raises `NotAnImage` or `UnreadableImage`. Blocking: run it in a thread."""
    if not data:
        raise UnreadableImage("The body is empty: send the poster's image.")
    too_many = UnreadableImage(
        f"The image has more than {MAX_PIXELS} pixels.", max_pixels=MAX_PIXELS
    )
    with _DECODING:
        try:
            with Image.open(io.BytesIO(data), formats=FORMATS) as upload:
                if upload.width * upload.height > MAX_PIXELS:
                    raise too_many
                return _drawn_again(upload)
        except Image.DecompressionBombError:  # Pillow's own limit, far above ours
            raise too_many from None
        except UnidentifiedImageError:
            raise NotAnImage(
                "The body is not a JPEG, PNG or WebP image.", accepted=sorted(ACCEPTED)
            ) from None
        except Exception as error:
            # A file that says it is an image and then is not one: Pillow says so in many
            # words (OSError, SyntaxError, ValueError, struct.error...), none of them a 500.
            log.info("poster_unreadable", error=type(error).__name__, detail=str(error)[:200])
            raise UnreadableImage(
                "The image could not be read: it is damaged or cut short."
            ) from None


def _drawn_again(upload: Image.Image) -> Encoded:
    orientation = upload.getexif().get(ExifTags.Base.Orientation)
    box = BOX[::-1] if orientation in _QUARTER_TURNS else BOX
    upload.thumbnail(box, Image.Resampling.LANCZOS)  # a JPEG decodes at a reduced scale first
    upright = ImageOps.exif_transpose(upload)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    clean = upright.convert("RGBA" if has_alpha else "RGB")
    clean.info.clear()  # nothing of the upload's metadata goes into the new file
    out = io.BytesIO()
    clean.save(out, "WEBP", quality=QUALITY, method=4)
    return Encoded(out.getvalue(), clean.width, clean.height)


def media_type_of(content_type: str | None) -> str:
    """The upload's declared media type, when it is one of the accepted ones."""
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if declared not in ACCEPTED:
        raise NotAnImage(
            f"Send the poster as {', '.join(sorted(ACCEPTED))} (Content-Type), the image as the "
            "body.",
            accepted=sorted(ACCEPTED),
        )
    return declared


async def replace_poster(
    session: AsyncSession,
    movie_id: uuid.UUID,
    content_type: str | None,
    data: bytes,
    now: datetime,
) -> Movie:
    """The movie with its new poster, re-encoded from the upload (any old one replaced)."""
    movie = await service.get_movie(session, movie_id)
    media_type_of(content_type)
    encoded = await asyncio.to_thread(reencode, data)
    poster = MoviePoster(
        movie_id=movie.id,
        media_type=MEDIA_TYPE,
        image=encoded.image,
        width=encoded.width,
        height=encoded.height,
        updated_at=now,
    )
    await repository.put_poster(session, poster)
    movie.poster_etag = etag_of(encoded.image)
    return movie


async def remove_poster(session: AsyncSession, movie_id: uuid.UUID) -> None:
    movie = await service.get_movie(session, movie_id)
    await repository.delete_poster(session, movie.id)
    movie.poster_etag = None


@dataclass(frozen=True)
class Served:
    """A poster as answered: its ETag, and the bytes unless the client's copy is current."""

    etag: str
    media_type: str
    image: bytes | None


async def served_poster(session: AsyncSession, movie_id: uuid.UUID, current: set[str]) -> Served:
    """The movie's poster; without its bytes (a 304) when its ETag is among `current` (the
    unquoted tags of If-None-Match), which costs one small read and never touches the image."""
    found = await repository.poster_etag(session, movie_id)
    if found is None:
        raise MovieNotFound()
    etag = found[0]
    if etag is None:
        raise PosterNotFound("This movie has no poster.")
    if etag in current or "*" in current:
        return Served(etag, MEDIA_TYPE, None)
    poster = await repository.get_poster(session, movie_id)
    if poster is None:  # taken down between the two reads
        raise PosterNotFound("This movie has no poster.")
    # The tag of the bytes served, even if a new poster came between the two reads.
    return Served(etag_of(poster.image), poster.media_type, poster.image)

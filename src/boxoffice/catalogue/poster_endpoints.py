"""Routes of movies' posters: the upload (admins), taking one down, and the image itself.

Kept apart from `catalogue.endpoints` by job; the movie's answer (`movie_out` there) names the
poster's address.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from boxoffice.accounts.dependencies import OperatorDep
from boxoffice.catalogue import posters
from boxoffice.catalogue.endpoints import POSTER_PATH, movie_out
from boxoffice.catalogue.schemas import MovieOut
from boxoffice.dependencies import NowDep, ReadSessionDep, SessionDep
from boxoffice.text import PRINTABLE_PATTERN

router = APIRouter(tags=["catalogue"])

# A poster upload's body may be larger than other requests' (`BodySizeLimitMiddleware`).
POSTER_UPLOAD = re.compile(r"^/api/v1/movies/[^/]+/poster$")


@router.put(
    POSTER_PATH,
    response_model=MovieOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in posters.ACCEPTED
            },
        }
    },
    responses={
        413: {"description": "Larger than MAX_POSTER_BYTES"},
        415: {"description": "Not sent as, or not, a JPEG, PNG or WebP image"},
        422: {"description": "Empty, damaged, or more pixels than the server decodes"},
    },
)
async def upload_poster(
    movie_id: uuid.UUID, request: Request, session: SessionDep, now: NowDep, _operator: OperatorDep
) -> MovieOut:
    """The movie's poster: the image itself as the body (JPEG, PNG or WebP), re-encoded by the
    server (upright, at most 480x720, WebP, no metadata). Replaces any poster it had."""
    content_type = request.headers.get("content-type")
    movie = await posters.replace_poster(session, movie_id, content_type, await request.body(), now)
    return movie_out(movie)


@router.delete(POSTER_PATH, status_code=204)
async def delete_poster(movie_id: uuid.UUID, session: SessionDep, _operator: OperatorDep) -> None:
    """Takes the movie's poster down (nothing to do when it has none)."""
    await posters.remove_poster(session, movie_id)


@router.get(
    POSTER_PATH,
    response_class=Response,
    responses={
        200: {"content": {posters.MEDIA_TYPE: {}}, "description": "The poster"},
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
        404: {"description": "No such movie, or it has no poster"},
    },
)
async def poster(
    movie_id: uuid.UUID,
    session: ReadSessionDep,
    v: Annotated[
        str | None,
        Query(max_length=64, pattern=PRINTABLE_PATTERN, description="the version poster_url names"),
    ] = None,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    """The movie's poster, with its ETag. Asked for by its current `poster_url` (the version
    in `v`), it may be kept for a year; otherwise it is revalidated each time."""
    current = _etags(if_none_match)
    served = await posters.served_poster(session, movie_id, current)
    forever = v == served.etag
    headers = {
        "ETag": f'"{served.etag}"',
        "Cache-Control": "public, max-age=31536000, immutable" if forever else "public, no-cache",
    }
    if served.image is None:
        return Response(status_code=304, headers=headers)
    return Response(served.image, media_type=served.media_type, headers=headers)


def _etags(if_none_match: str | None) -> set[str]:
    """The entity tags of an If-None-Match header, unquoted, weak or not ("*" kept as is)."""
    if if_none_match is None:
        return set()
    return {tag.strip().removeprefix("W/").strip('"') for tag in if_none_match.split(",")}

"""The sale path's PL/pgSQL functions in the migrated database are the ones written out whole in
the newest `<revision>_sale_path.sql` of the migrations (no function built elsewhere, patched,
or left behind by an older revision)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from tests.conftest import TestDatabase

from boxoffice.db.migrate import MIGRATIONS_DIR

pytestmark = pytest.mark.postgres_only

_FUNCTION = re.compile(
    r"CREATE OR REPLACE FUNCTION (?P<name>\w+)\((?P<arguments>.*?)\)\s*"
    r"RETURNS (?P<result>.*?)\s*LANGUAGE plpgsql AS \$\$(?P<body>.*?)\$\$;",
    re.S,
)


# The short type names the file uses, as PostgreSQL prints them.
_SPELLED_OUT = {"int": "integer", "timestamptz": "timestamp with time zone"}


def _words(text: str) -> str:
    """A signature as PostgreSQL prints it: its type names, one space between words, none
    inside a parenthesis."""
    words = re.sub(r"\w+", lambda word: _SPELLED_OUT.get(word[0], word[0]), text)
    return re.sub(r"\s*([()])\s*", r"\1", " ".join(words.split())).strip()


def _newest_sale_path() -> Path:
    return max((MIGRATIONS_DIR / "versions").glob("*_sale_path.sql"))


def test_the_databases_sale_path_functions_are_the_newest_files_word_for_word(
    db: TestDatabase,
) -> None:
    written = {m["name"]: m for m in _FUNCTION.finditer(_newest_sale_path().read_text())}
    assert set(written) == {"boxoffice_hold", "boxoffice_release_hold"}
    stored = {
        row.proname: row
        for row in db.query(
            "SELECT proname, prosrc, pg_get_function_arguments(oid) AS arguments, "
            "pg_get_function_result(oid) AS result FROM pg_proc "
            "WHERE proname LIKE 'boxoffice%' AND pronamespace = 'public'::regnamespace"
        )
    }
    assert set(stored) == set(written)
    for name, function in written.items():
        assert stored[name].prosrc == function["body"], name
        assert _words(stored[name].arguments) == _words(function["arguments"]), name
        assert _words(stored[name].result) == _words(function["result"]), name


# Each released file, as it was released: a migration loads the text of its own revision, so an
# edit in place would change what an old revision builds without the test above noticing. A new
# file joins this table once its migration is released; a change is a new file.
RELEASED = {
    "0013_sale_path.sql": "b419ed795accf0d82fb40e075b0d309ffe03d101e6f502d315a1091385054c08",
    "0018_sale_path.sql": "d25fd40f8df1683ad3a042ff83399b234b78aa7ab2257a058a97dd3bed9c88e9",
    "0022_sale_path.sql": "d129b8213fa7c3989e87ded9ed2b46606e43801fbec4cb5b946d05046bb8ae10",
}


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_a_released_sale_path_file_never_changes(name: str) -> None:
    text = (MIGRATIONS_DIR / "versions" / name).read_bytes()
    assert hashlib.sha256(text).hexdigest() == RELEASED[name], f"{name} was edited in place"


def test_every_sale_path_file_but_the_newest_is_released() -> None:
    files = sorted(path.name for path in (MIGRATIONS_DIR / "versions").glob("*_sale_path.sql"))
    assert set(files[:-1]) <= set(RELEASED), "add the released file's hash to RELEASED"

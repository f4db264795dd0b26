"""The sale path's PL/pgSQL functions in the migrated database are the ones written out whole in
the newest `<revision>_sale_path.sql` of the migrations (no function built elsewhere, patched,
or left behind by an older revision)."""

from __future__ import annotations

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

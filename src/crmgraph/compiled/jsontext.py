"""SQL expressions that render a value as JSON text byte for byte as the resolver path does
(Strawberry's serializers, then orjson): compact, keys in selection order. An expression
yields SQL NULL where it cannot promise that; NULL spreads through `||` to the whole answer,
which then goes to the resolvers (crmgraph.compiled.plan).

A text value's JSON string is written escaped(expr), a mark that row() settles: through
to_json, or in plain quotes when no text of the row needs escaping (see row)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

NULL_JSON = "'null'"
# escaped()'s mark around a text expression; row() replaces it. A statement with a mark left
# behind goes to the resolvers (crmgraph.compiled.plan.compile_operation looks for NUL).
_MARK = re.compile("\x00(.*?)\x01", re.DOTALL)
# What to_json (PostgreSQL's escape_json) escapes in a text: the quote, the backslash and
# the control characters; text cannot hold NUL. A regular expression of PostgreSQL's.
NEEDS_ESCAPING = r"""'["\\\x01-\x1f]'"""


def literal(text: str) -> str:
    """text as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def json_literal(value: object) -> str:
    """A constant (a key, a __typename) as SQL text of its JSON."""
    return literal(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def nullable(expr: str, rendered: str) -> str:
    """rendered (JSON of expr) or JSON null when expr is NULL."""
    return f"(CASE WHEN {expr} IS NULL THEN {NULL_JSON} ELSE {rendered} END)"


def escaped(expr: str) -> str:
    """The JSON string of text expr (NULL when it is NULL), to be settled by row(). PostgreSQL
    escapes as orjson does: \\" \\\\ \\b \\f \\n \\r \\t, other controls as \\u00xx."""
    return f"\x00{expr}\x01"


def row(expr: str) -> str:
    """expr, the JSON of one row of a result, with its escaped() texts settled.

    to_json costs PostgreSQL about 0.5 us a call (it looks the type up each time), most of a
    50-deal page's difference from plain rows. So a row with two or more texts tests them
    once, joined, against NEEDS_ESCAPING: when none matches, each is its own text in quotes,
    which is what to_json would give; otherwise every one goes through to_json."""
    texts = list(dict.fromkeys(_MARK.findall(expr)))
    slow = _MARK.sub(lambda m: f"to_json({m.group(1)})::text", expr)
    if len(texts) < 2:
        return slow
    fast = _MARK.sub(lambda m: plain(f"({m.group(1)})::text"), expr)
    joined = " || ".join(f"coalesce(({text})::text, '')" for text in texts)
    return f"(CASE WHEN ({joined}) ~ {NEEDS_ESCAPING} THEN {slow} ELSE {fast} END)"


def string(expr: str) -> str:
    return f"coalesce({escaped(expr)}, {NULL_JSON})"


def plain(expr: str) -> str:
    """The JSON string of a text that never needs escaping (a cursor's base64url, one of an
    enum's names): the text in quotes."""
    return f"('\"' || {expr} || '\"')"


def integer(expr: str) -> str:
    return f"coalesce(({expr})::text, {NULL_JSON})"


def boolean(expr: str) -> str:
    return f"(CASE WHEN {expr} THEN 'true' ELSE 'false' END)"


def float_(expr: str) -> str:
    """A numeric as Python's float(value) through orjson: 48000.0, 1234.5. Outside
    [1e-4, 1e15) the two spell numbers differently (exponents): NULL, so the resolvers answer."""
    x = f"({expr})::float8"
    whole = f"trunc({x})::numeric::text || '.0'"
    return (
        f"(CASE WHEN {expr} IS NULL THEN {NULL_JSON} "
        f"WHEN abs({x}) >= 1e15 OR (abs({x}) < 1e-4 AND {x} <> 0) THEN NULL "
        f"WHEN {x} = trunc({x}) THEN {whole} ELSE {x}::text END)"
    )


def money(expr: str) -> str:
    """A NUMERIC(18, 2) column (crmgraph.db.models.base.Money) as float_ spells it, cheaper:
    below 1e13 a value has at most 15 significant digits, so its double's shortest spelling
    is the decimal's own without trailing zeros (1234.5; 48000.0 when whole), and numeric
    arithmetic gives it without going through float8. Larger values take float_'s way."""
    return (
        f"(CASE WHEN {expr} IS NULL THEN {NULL_JSON} WHEN abs({expr}) >= 1e13 THEN {float_(expr)} "
        f"WHEN {expr} = trunc({expr}) THEN trunc({expr})::text || '.0' "
        f"ELSE trim_scale({expr})::text END)"
    )


def iso_datetime(expr: str) -> str:
    """A timestamptz as Python's datetime.isoformat() in UTC, unquoted: microseconds only
    when there are any, +00:00 for the zone."""
    utc = f"({expr} AT TIME ZONE 'UTC')"
    micro = f"to_char({utc}, 'US')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        f"|| (CASE WHEN {micro} = '000000' THEN '' ELSE '.' || {micro} END) || '+00:00'"
    )


def datetime_(expr: str) -> str:
    return nullable(expr, f"'\"' || {iso_datetime(expr)} || '\"'")


def uuid_id(expr: str) -> str:
    """A uuid column as an ID: its text in quotes."""
    return nullable(expr, f"'\"' || ({expr})::text || '\"'")


def obj(members: Sequence[tuple[str, str]]) -> str:
    """A JSON object of (key, JSON text expression) in that order."""
    if not members:
        return "'{}'"
    parts = []
    for n, (key, value) in enumerate(members):
        prefix = ("{" if n == 0 else ",") + json.dumps(key, ensure_ascii=False) + ":"
        parts.append(f"{literal(prefix)} || {value}")
    return "(" + " || ".join(parts) + " || '}')"


def array_agg(element: str, order: str) -> str:
    """An aggregate: the JSON array of element over the group's rows in order; NULL when
    any element is NULL (string_agg and array_to_string would skip it).

    element appears in one aggregate only: PostgreSQL pulls a subquery's expressions up into
    the aggregates above it and computes each aggregate's argument on its own, so a second
    aggregate of element (a bool_and beside the string_agg) built every row's JSON twice.
    The two array_aggs here are the same aggregate, which PostgreSQL computes once."""
    items = f"array_agg({element} ORDER BY {order})"
    return (
        f"(CASE WHEN count(*) = 0 THEN '[]' WHEN array_position({items}, NULL) IS NULL "
        f"THEN '[' || array_to_string({items}, ',') || ']' END)"
    )

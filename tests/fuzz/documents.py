"""Hypothesis strategies for hostile GraphQL requests (bodies for POST /graphql): deep
nesting, huge alias counts, fragment cycles, long strings, any unicode, wrong types, huge
integers, null in lists, and random text as a document."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

Body = dict[str, Any]
UUID = "00000000-0000-4000-8000-000000000000"

# Any code point, lone surrogates included: JSON carries them as \udxxx escapes.
ANY_CHAR = st.characters(codec=None, categories=None)
names = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,12}", fullmatch=True)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(ANY_CHAR, max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(names, inner, max_size=5),
    max_leaves=20,
)


def literal(value: object) -> str:
    """A GraphQL literal for a JSON value (strings escaped as JSON does, which GraphQL reads)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


@st.composite
def deep(draw: st.DrawFn) -> Body:
    """Real fields nested far past the depth limit, or made-up names nested as deep."""
    depth = draw(st.integers(1, 400))
    field = draw(st.sampled_from(["parentAccount", "childAccounts"]) | names)
    selection = "".join(f"{field} {{ " for _ in range(depth)) + "__typename" + " }" * depth
    return {"query": f'{{ account(id: "{UUID}") {{ {selection} }} }}'}


@st.composite
def aliases(draw: st.DrawFn) -> Body:
    count = draw(st.integers(1, 5000))
    fields = ["__typename", f'deal(id: "{UUID}") {{ id }}', "pipelines { id }"]
    field = draw(st.sampled_from(fields))
    return {"query": "{ " + " ".join(f"a{n}: {field}" for n in range(count)) + " }"}


@st.composite
def fragment_cycles(draw: st.DrawFn) -> Body:
    """A ring of fragments that spread each other (self-spread when one), used by the query."""
    ring = draw(st.lists(names, min_size=1, max_size=30, unique=True))
    on = draw(st.sampled_from(["Query", "Deal", "Account"]))
    fragments = [f"fragment {n} on {on} {{ __typename ...{ring[(i + 1) % len(ring)]} }}"
                 for i, n in enumerate(ring)]  # fmt: skip
    root = f"...{ring[0]}" if on == "Query" else f'deal(id: "{UUID}") {{ ...{ring[0]} }}'
    return {"query": "{ " + root + " } " + " ".join(fragments)}


@st.composite
def long_strings(draw: st.DrawFn) -> Body:
    text = draw(st.text(ANY_CHAR, max_size=20)) * draw(st.integers(0, 20_000))
    if draw(st.booleans()):
        return {"query": "query($q: String!) { searchContacts(query: $q) { id } }",
                "variables": {"q": text}}  # fmt: skip
    return {"query": f"{{ searchContacts(query: {json.dumps(text)}) {{ id }} }}"}


@st.composite
def unicode_text(draw: st.DrawFn) -> Body:
    """Any unicode in a document, in a variable, as a name and as an operationName."""
    text = draw(st.text(ANY_CHAR, max_size=200))
    search = "query($q: String!) { searchContacts(query: $q) { id } }"
    filtered = f"{{ contacts(filter: {{email: {{eq: {json.dumps(text)}}}}}) {{ totalCount }} }}"
    return draw(st.sampled_from([
        {"query": text},
        {"query": search, "variables": {"q": text}},
        {"query": filtered},
        {"query": "{ __typename }", "operationName": text},
        {"query": f"{{ {text} }}"},
    ]))  # fmt: skip


ARGUMENTS = [
    ("deal", "id", "ID!", "{ id }"),
    ("deals", "first", "Int", "{ totalCount }"),
    ("customerHealth", "months", "Int!", "{ score }"),
    ("searchContacts", "query", "String!", "{ id }"),
    ("contacts", "filter", "ContactFilter", "{ totalCount }"),
    ("dealForecast", "period", "ForecastPeriod!", "{ __typename }"),
]


@st.composite
def wrong_types(draw: st.DrawFn) -> Body:
    """Any JSON value for a typed argument, inline or as a variable declared right or wrong."""
    field, arg, kind, sel = draw(st.sampled_from(ARGUMENTS))
    value = draw(json_values)
    extra = ', accountId: "x"' if field == "customerHealth" and arg != "accountId" else ""
    extra += f', pipelineId: "{UUID}"' if field == "dealForecast" else ""
    if draw(st.booleans()):
        return {"query": f"{{ {field}({arg}: {literal(value)}{extra}) {sel} }}"}
    declared = draw(st.sampled_from([kind, "String", "Int", "[ID]", "Boolean!", "JSON"]))
    query = f"query($v: {declared}) {{ {field}({arg}: $v{extra}) {sel} }}"
    return {"query": query, "variables": draw(st.sampled_from([{"v": value}, value]))}


@st.composite
def huge_integers(draw: st.DrawFn) -> Body:
    number = draw(st.integers(-(2**200), 2**200) | st.sampled_from([2**31, -(2**31) - 1, 2**63]))
    field = draw(st.sampled_from(["deals(first: N) { totalCount }", "deals(last: N) { totalCount }",
                                  'customerHealth(accountId: "x", months: N) { score }',
                                  "deals(pagination: {first: N}) { totalCount }"]))  # fmt: skip
    if draw(st.booleans()):
        return {"query": "{ " + field.replace("N", str(number)) + " }"}
    return {"query": "query($n: Int) { " + field.replace("N", "$n") + " }",
            "variables": {"n": number}}  # fmt: skip


@st.composite
def nulls_in_lists(draw: st.DrawFn) -> Body:
    items = draw(st.lists(st.none() | st.text(max_size=10) | st.integers(), max_size=30))
    where = draw(st.sampled_from(["email: {in: $v}", "id: {in: $v}", "email: {nin: $v}"]))
    query = f"query($v: [String]) {{ contacts(filter: {{{where}}}) {{ totalCount }} }}"
    if draw(st.booleans()):
        return {"query": query.replace("$v", literal(items)).replace("query($v: [String]) ", "")}
    return {"query": query, "variables": {"v": items}}


random_bodies = st.fixed_dictionaries(
    {"query": st.text(ANY_CHAR, max_size=300) | json_values},
    optional={"variables": json_values, "operationName": json_values, "extensions": json_values},
)

SHAPES = {
    "deep nesting": deep(),
    "huge aliases": aliases(),
    "fragment cycles": fragment_cycles(),
    "long strings": long_strings(),
    "unicode": unicode_text(),
    "wrong types": wrong_types(),
    "huge integers": huge_integers(),
    "null in lists": nulls_in_lists(),
    "random bodies": random_bodies,
}

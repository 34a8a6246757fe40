"""The partial-update rule through the router, driven by the composed schema.

Every Mutation field named update* (and the other partial updates, PARTIAL_OTHERS) is either
exercised here or named in NOT_PARTIAL with the reason; every field of its input is either
exercised or named in UNTESTABLE with the reason. For each field, on a fresh row: a value
is set and reads back; it is kept when the field is left out (an empty input, then another
field); null clears it when the entity's field is nullable (a list reads back empty), and is
a VALIDATION_ERROR on that field that changes nothing when it is not. The lists, row makers
and value generators are in tests/partial_update_cases.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from crmgraph.db.scoping import Scope
from tests.partial_update_cases import (
    FIELD_VALUES,
    NOT_PARTIAL,
    NOT_SETTABLE,
    PARTIAL_OTHERS,
    REFERENCES,
    TARGETS,
    TYPE_VALUES,
    UNTESTABLE,
)
from tests.stack import Stack

TYPE_REF = "name kind ofType { name kind ofType { name kind ofType { name kind } } }"
INTROSPECT = f"""{{ __schema {{
  mutationType {{ fields {{ name args {{ name type {{ {TYPE_REF} }} }} type {{ {TYPE_REF} }} }} }}
  types {{ name kind enumValues {{ name }} possibleTypes {{ name }}
    fields {{ name type {{ {TYPE_REF} }} }} inputFields {{ name type {{ {TYPE_REF} }} }} }}
}} }}"""


@dataclass(frozen=True)
class Field:
    """One input field of an update and the entity field it lands on."""

    name: str
    type: dict[str, Any]  # the input field's type reference
    out: str  # the entity's field
    out_type: dict[str, Any]
    selection: str

    @property
    def required(self) -> bool:
        """Null is refused on a non-null entity field; a non-null list is cleared to []."""
        return self.out_type["kind"] == "NON_NULL" and self.out_type["ofType"]["kind"] != "LIST"


class Schema:
    """The introspected supergraph, as the router serves it."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.types = {t["name"]: t for t in raw["types"]}
        self.mutations = {m["name"]: m for m in raw["mutationType"]["fields"]}

    def partial_updates(self) -> set[str]:
        named = {n for n in self.mutations if n.startswith("update")}
        return (named | set(PARTIAL_OTHERS)) - set(NOT_PARTIAL)

    def entity(self, mutation: str) -> dict[str, Any]:
        """The object type the mutation's payload carries (TaskPayload.task: Task)."""
        payload = self.types[named(self.mutations[mutation]["type"])]
        objects = [f for f in payload["fields"] if self.types[named(f["type"])]["kind"] == "OBJECT"]
        return self.types[named(objects[0]["type"])]

    def input_type(self, mutation: str) -> dict[str, Any]:
        arg = next(a for a in self.mutations[mutation]["args"] if a["name"] == "input")
        return self.types[named(arg["type"])]

    def fields(self, mutation: str) -> Iterator[Field | str]:
        """Each input field as a Field, or a sentence saying why it cannot be mapped."""
        entity = {f["name"]: f for f in self.entity(mutation)["fields"]}
        for f in self.input_type(mutation)["inputFields"]:
            out = entity.get(f["name"]) or entity.get(f["name"].removesuffix("Id"))
            if out is None:
                yield f"{mutation}.{f['name']}: no field of the entity reads it back"
                continue
            nested = self.types[named(f["type"])]["kind"] == "INPUT_OBJECT"
            yield Field(f["name"], f["type"], out["name"], out["type"], self.select(out, nested))

    def select(self, field: dict[str, Any], nested: bool = False) -> str:
        """What reads back field: a reference's id, or, for a value the input spells out
        (an input object, like an automation rule with its own id), its leaves."""
        kind = self.types[named(field["type"])]
        name = field["name"]
        if kind["kind"] in ("SCALAR", "ENUM"):
            return name
        if kind["kind"] == "UNION":
            members = " ".join(f"... on {m['name']} {{ id }}" for m in kind["possibleTypes"])
            return f"{name} {{ __typename {members} }}"
        fields = {f["name"]: f for f in kind["fields"]}
        if "id" in fields and not nested:
            return f"{name} {{ id }}"
        leaves = [n for n, f in fields.items() if self.types[named(f["type"])]["kind"] == "SCALAR"]
        return f"{name} {{ {' '.join(leaves)} }}"

    def declare(self, mutation: str) -> str:
        return ", ".join(
            f"${a['name']}: {spell(a['type'])}" for a in self.mutations[mutation]["args"]
        )


def named(ref: dict[str, Any]) -> str:
    while ref.get("ofType"):
        ref = ref["ofType"]
    return str(ref["name"])


def spell(ref: dict[str, Any]) -> str:
    if ref["kind"] == "NON_NULL":
        return spell(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return f"[{spell(ref['ofType'])}]"
    return str(ref["name"])


@pytest.fixture(scope="module")
def schema(stack: Stack) -> Schema:
    body = stack.graphql(INTROSPECT, tenant="introspection").json()
    assert "errors" not in body, body
    return Schema(body["data"]["__schema"])


def test_every_partial_update_and_each_of_its_fields_is_exercised_or_listed(
    schema: Schema,
) -> None:
    partial = schema.partial_updates()
    assert sorted(partial - set(TARGETS)) == [], "add a Target, or NOT_PARTIAL with a reason"
    assert sorted(set(TARGETS) - partial) == [], "a Target for a mutation the schema lacks"
    assert set(NOT_PARTIAL) <= set(schema.mutations)
    unmapped = [f for m in sorted(partial) for f in schema.fields(m) if isinstance(f, str)]
    listed = {f"{m}.{n}" for m, n in UNTESTABLE}
    assert [u for u in unmapped if u.split(":")[0] not in listed] == []
    known = {(m, f.name) for m in partial for f in schema.fields(m) if isinstance(f, Field)}
    assert (
        sorted(set(UNTESTABLE) - known - {tuple(u.split(":")[0].split(".")) for u in unmapped})
        == []
    )


class Run:
    """One mutation against one tenant: make rows, send inputs, read the entity back."""

    def __init__(self, stack: Stack, schema: Schema, tenant: str, mutation: str) -> None:
        self.stack, self.schema, self.tenant, self.mutation = stack, schema, tenant, mutation
        self.target = TARGETS[mutation]
        self.fields = [f for f in schema.fields(mutation) if isinstance(f, Field)]
        self.args: dict[str, str] = {}
        args = ", ".join(f"{a['name']}: ${a['name']}" for a in schema.mutations[mutation]["args"])
        self.document = (
            f"mutation({schema.declare(mutation)}) {{ {mutation}({args}) {{ __typename }} }}"
        )

    def seed(self, make: Callable[[AsyncSession, Scope], Awaitable[Any]]) -> Any:
        scope = Scope(tenant_id=self.tenant)

        async def run() -> Any:
            async with self.stack.runtime.sessions() as session, session.begin():
                return await make(session, scope)

        return self.stack.call(run)

    def fresh_row(self) -> None:
        self.args = self.seed(self.target.make)

    def send(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        """The errors of the mutation with this input ([] when it succeeded)."""
        response = self.stack.graphql(
            self.document, {**self.args, "input": values}, tenant=self.tenant
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return list(body.get("errors") or [])

    def read(self) -> dict[str, Any]:
        selection = " ".join(f.selection for f in self.fields)
        query = self.target.read % selection
        used = {k: v for k, v in self.args.items() if f"${k}" in query}
        declared = ", ".join(f"${k}: ID!" for k in used)
        body = self.stack.graphql(
            f"query({declared}) {{ {query} }}", used, tenant=self.tenant
        ).json()
        assert "errors" not in body, body
        return self.target.pick(body["data"], self.args)

    def value(self, field: Field, current: Any) -> Any:
        """A value for the field that differs from the current one."""
        type_name = named(field.type)
        is_list = _unwrap(field.type)["kind"] == "LIST"
        kind = self.schema.types[type_name]["kind"]
        if field.name in REFERENCES:
            one = lambda: self.seed(REFERENCES[field.name])  # noqa: E731
        elif field.name in FIELD_VALUES:
            one = FIELD_VALUES[field.name]
        elif kind == "ENUM":
            values = [e["name"] for e in self.schema.types[type_name]["enumValues"]]
            allowed = [v for v in values if v != current and (type_name, v) not in NOT_SETTABLE]
            one = lambda: allowed[0]  # noqa: E731
        elif type_name in TYPE_VALUES:
            one = TYPE_VALUES[type_name]
        else:
            raise LookupError(f"no value for {type_name}: add a generator or list the field")
        return [one(), one()] if is_list else one()


def _unwrap(ref: dict[str, Any]) -> dict[str, Any]:
    return ref["ofType"] if ref["kind"] == "NON_NULL" else ref


def matches(read: Any, sent: Any) -> bool:
    """Does what the entity reads back carry what the input sent?"""
    if isinstance(read, dict) and not isinstance(sent, dict):
        return read.get("id") == sent
    if isinstance(read, dict):
        if "__typename" in read:
            return read["__typename"].upper() == sent["type"] and read.get("id") == sent["id"]
        return all(k in read and matches(read[k], v) for k, v in sent.items())
    if isinstance(read, list) and isinstance(sent, list):
        return len(read) == len(sent) and all(map(matches, read, sent))
    if isinstance(read, str) and isinstance(sent, str) and read != sent:
        return _instant(read) is not None and _instant(read) == _instant(sent)
    return bool(read == sent)


def _instant(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _cleared(value: Any) -> bool:
    return value is None or value == []


def check_field(run: Run, field: Field) -> list[str]:
    """Set, keep and clear (or refuse null on) one field on a fresh row; what went wrong."""
    problems: list[str] = []
    name = f"{run.mutation}.{field.name}"
    run.fresh_row()
    before = run.read()
    value = run.value(field, before[field.out])
    assert not matches(before[field.out], value), f"{name}: the generated value is the current"
    if errors := run.send({field.name: value}):
        return [f"{name}: setting {value!r} failed: {errors}"]
    after = run.read()
    if not matches(after[field.out], value):
        problems.append(f"{name}: set {value!r}, read back {after[field.out]!r}")
    others = {k: v for k, v in after.items() if k != field.out}
    if others != {k: v for k, v in before.items() if k != field.out}:
        problems.append(f"{name}: setting it changed other fields: {before} -> {after}")
    if run.send({}) or run.read() != after:
        problems.append(f"{name}: an empty input changed the row: {after} -> {run.read()}")
    other = next((f for f in run.fields if f.name != field.name), None)
    if other is not None:
        errors = run.send({other.name: run.value(other, after[other.out])})
        kept = run.read()[field.out]
        if errors or kept != after[field.out]:
            problems.append(f"{name}: not kept when {other.name} changed: {kept!r} {errors}")
    before_null = run.read()
    errors = run.send({field.name: None})
    now = run.read()
    if field.required:
        codes = [(e.get("extensions", {}).get("code"), e.get("extensions", {}).get("field"))
                 for e in errors]  # fmt: skip
        if codes != [("VALIDATION_ERROR", field.name)]:
            problems.append(f"{name}: null on a non-null field gave {codes or 'no error'}")
        if now != before_null:
            problems.append(f"{name}: a refused null changed the row: {before_null} -> {now}")
    elif errors or not _cleared(now[field.out]):
        problems.append(f"{name}: null did not clear it: read back {now[field.out]!r} {errors}")
    return problems


@pytest.mark.parametrize("mutation", sorted(TARGETS))
def test_update_sets_keeps_and_clears_each_field(
    stack: Stack, schema: Schema, tenant: str, mutation: str
) -> None:
    run = Run(stack, schema, tenant, mutation)
    problems = [p for field in run.fields if (mutation, field.name) not in UNTESTABLE
                for p in check_field(run, field)]  # fmt: skip
    assert not problems, "\n".join(problems)

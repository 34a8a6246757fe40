"""crmgraph.compiled.jsontext.row: how a row's texts are settled (the differential test,
tests/integration/test_compiled_reads.py, shows the bytes equal the resolvers')."""

from __future__ import annotations

from crmgraph.compiled import jsontext as j


def test_a_row_of_one_text_escapes_it_without_a_test() -> None:
    settled = j.row(j.obj([("title", j.string("d.title")), ("n", j.integer("d.n"))]))
    assert settled == j.obj([("title", "coalesce(to_json(d.title)::text, 'null')"),
                             ("n", j.integer("d.n"))])  # fmt: skip
    assert "\x00" not in settled and "\x01" not in settled


def test_a_row_of_texts_tests_them_once_and_has_both_spellings() -> None:
    settled = j.row(j.obj([("a", j.string("d.a")), ("b", j.escaped("s.b")),
                           ("again", j.string("d.a"))]))  # fmt: skip
    assert "\x00" not in settled and "\x01" not in settled
    test, rest = settled.split(" THEN ", 1)
    assert test == (
        "(CASE WHEN (coalesce((d.a)::text, '') || coalesce((s.b)::text, '')) ~ " + j.NEEDS_ESCAPING
    )
    slow, fast = rest.split(" ELSE ", 1)
    assert slow.count("to_json(") == 3 and "to_json(" not in fast
    assert "('\"' || (d.a)::text || '\"')" in fast and "('\"' || (s.b)::text || '\"')" in fast


def test_a_row_without_texts_is_itself() -> None:
    expr = j.obj([("n", j.integer("d.n"))])
    assert j.row(expr) == expr

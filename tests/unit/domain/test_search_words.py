"""A contact search is a few words: empty, too long or too many words is VALIDATION_ERROR on
`query` (a fuzzer's 20,000-word string held the contacts subgraph past the router's
timeout)."""

from __future__ import annotations

import pytest

from crmgraph.domain.contacts import MAX_SEARCH_LENGTH, MAX_SEARCH_WORDS, search_words
from crmgraph.errors import DomainError, ErrorCode


def test_words_are_lower_cased_and_split_on_whitespace() -> None:
    assert search_words("  John\tDOE  ") == ["john", "doe"]


@pytest.mark.parametrize(
    "query",
    ["", "   ", "x" * (MAX_SEARCH_LENGTH + 1), " ".join(["0"] * (MAX_SEARCH_WORDS + 1))],
    ids=["empty", "blank", "too long", "too many words"],
)
def test_what_is_no_search_is_refused_on_the_query_field(query: str) -> None:
    with pytest.raises(DomainError) as refused:
        search_words(query)
    assert refused.value.code is ErrorCode.VALIDATION_ERROR
    assert refused.value.field == "query"


def test_the_limits_themselves_are_a_search() -> None:
    assert len(search_words(" ".join(["ab"] * MAX_SEARCH_WORDS))) == MAX_SEARCH_WORDS
    assert search_words("x" * MAX_SEARCH_LENGTH) == ["x" * MAX_SEARCH_LENGTH]

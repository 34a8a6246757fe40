"""retry_config: the design's keys with defaults and bounds; exponential backoff."""

from __future__ import annotations

from typing import Any

import pytest

from crmgraph.domain.webhooks import RetryConfig
from crmgraph.errors import DomainError


def test_defaults_and_given_values() -> None:
    assert RetryConfig.parse(None) == RetryConfig(
        max_retries=3, retry_delay_seconds=60, timeout_seconds=10, disable_after_failures=10
    )
    assert RetryConfig.parse({"max_retries": 0, "retry_delay_seconds": 0.5}).max_retries == 0


def test_backoff_doubles_up_to_an_hour() -> None:
    retry = RetryConfig(retry_delay_seconds=60)

    assert [retry.backoff(n) for n in (1, 2, 3)] == [60, 120, 240]
    assert retry.backoff(20) == 3600


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"max_retries": 11}, "retry_config.max_retries"),
        ({"max_retries": 1.5}, "retry_config.max_retries"),
        ({"timeout_seconds": 0}, "retry_config.timeout_seconds"),
        ({"retry_delay_seconds": True}, "retry_config.retry_delay_seconds"),
        ({"disable_after_failures": 0}, "retry_config.disable_after_failures"),
        ({"backoff": "linear"}, "retry_config.backoff"),
    ],
)
def test_out_of_range_is_refused(given: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as caught:
        RetryConfig.parse(given)

    assert caught.value.field == field

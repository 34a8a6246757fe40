"""Loader.peek answers from what the loader already loaded, without a batch call."""

from __future__ import annotations

from crmgraph.loaders.base import MISSING, Loader


async def test_peek_sees_loaded_keys_only() -> None:
    batches: list[list[int]] = []

    async def batch(keys: list[int]) -> list[str]:
        batches.append(keys)
        return [f"v{key}" for key in keys]

    loader: Loader[int, str] = Loader(batch)
    assert loader.peek(1) is MISSING

    assert await loader.load_many([1, 2]) == ["v1", "v2"]

    assert (loader.peek(1), loader.peek(2), loader.peek(3)) == ("v1", "v2", MISSING)
    assert loader.now_or_later(2, str.upper) == "V2"
    assert batches == [[1, 2]]

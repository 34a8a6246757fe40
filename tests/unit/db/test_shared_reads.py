"""crmgraph.db.shared_reads: one read per key for every caller that asks while it runs, an
answer kept for the age a caller accepts, a failure or a caller that leaves not kept."""

from __future__ import annotations

import asyncio

import pytest

from crmgraph.db.shared_reads import SharedReads


class Source:
    def __init__(self) -> None:
        self.reads: list[str] = []
        self.release = asyncio.Event()
        self.fail = False

    async def read(self, key: str) -> str:
        self.reads.append(key)
        await self.release.wait()
        if self.fail:
            raise RuntimeError("down")
        return f"{key}#{len(self.reads)}"


async def test_callers_asking_at_once_share_one_read_per_key() -> None:
    source = Source()
    shared = SharedReads(source.read)
    asks = [asyncio.ensure_future(shared.get(key, 60)) for key in ("a", "b") * 20]
    await asyncio.sleep(0)
    source.release.set()
    answers = await asyncio.gather(*asks)
    assert sorted(source.reads) == ["a", "b"]
    assert all(answer.startswith(key) for answer, key in zip(answers, ("a", "b") * 20, strict=True))
    assert len(set(answers)) == 2


async def test_an_answer_is_kept_for_the_age_the_caller_accepts() -> None:
    source = Source()
    source.release.set()
    shared = SharedReads(source.read)
    assert await shared.get("a", 60) == "a#1"
    assert await shared.get("a", 60) == "a#1"
    assert await shared.get("a", 0) == "a#2"


async def test_a_caller_that_leaves_does_not_cancel_the_read_of_the_others() -> None:
    source = Source()
    shared = SharedReads(source.read)
    leaving = asyncio.ensure_future(shared.get("a", 60))
    staying = asyncio.ensure_future(shared.get("a", 60))
    await asyncio.sleep(0)
    leaving.cancel()
    source.release.set()
    assert await staying == "a#1"
    assert source.reads == ["a"]


async def test_a_failed_read_reaches_its_callers_and_is_not_kept() -> None:
    source = Source()
    source.fail = True
    source.release.set()
    shared = SharedReads(source.read)
    with pytest.raises(RuntimeError):
        await shared.get("a", 60)
    source.fail = False
    assert await shared.get("a", 60) == "a#2"


async def test_keys_are_bounded() -> None:
    source = Source()
    source.release.set()
    shared = SharedReads(source.read, max_keys=2)
    for key in ("a", "b", "c"):
        await shared.get(key, 60)
    assert await shared.get("c", 60) == "c#3"
    assert await shared.get("a", 60) == "a#4"  # forgotten when the third key came

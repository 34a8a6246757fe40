"""The soak's load (scaleout.load) against a server that never answers: it keeps at most
MAX_IN_FLIGHT requests open and counts the rest as errors, instead of queueing them."""

from __future__ import annotations

import asyncio

from scaleout.load import MAX_IN_FLIGHT, Load


async def test_a_layout_that_does_not_answer_gets_at_most_max_in_flight_requests() -> None:
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # read nothing, answer nothing

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    load = Load(f"http://127.0.0.1:{port}/graphql", "x" * 32, rate=400, deals=1)
    load.deals, load.stages = ["d"], ["s"]
    running = asyncio.create_task(load.run())
    for _ in range(600):  # until well past the bound (seconds on a loaded machine)
        if load.requests > MAX_IN_FLIGHT + 20:
            break
        await asyncio.sleep(0.05)
    opened = len(held)
    load.stop()
    server.close()
    for writer in held:
        writer.close()  # the requests in flight fail now, not after the client's timeout
    await running
    await load.close()
    # The server saw no more connections than the bound; every request past it was refused
    # by the client, counted as an error, sent nowhere.
    assert 0 < opened <= MAX_IN_FLIGHT
    assert load.requests > MAX_IN_FLIGHT + 20
    assert load.errors == load.requests
    assert any(e.startswith("not sent:") for e in load.error_samples)


async def test_a_subscription_the_server_ends_is_a_subscriber_gone() -> None:
    import json

    import websockets

    async def graphql_ws(ws: websockets.ServerConnection) -> None:
        await ws.recv()  # connection_init
        await ws.send(json.dumps({"type": "connection_ack"}))
        subscribe = json.loads(await ws.recv())
        await ws.send(json.dumps({"id": subscribe["id"], "type": "next", "payload": {}}))
        await ws.send(json.dumps({"id": subscribe["id"], "type": "error", "payload": [
            {"message": "QueuePool limit reached"}]}))  # fmt: skip
        await ws.wait_closed()  # the socket stays open: only the subscription ended

    async with websockets.serve(graphql_ws, "127.0.0.1", 0,
                                subprotocols=["graphql-transport-ws"]) as server:  # type: ignore[list-item]  # fmt: skip
        port = next(iter(server.sockets)).getsockname()[1]
        load = Load(f"http://127.0.0.1:{port}/graphql", "x" * 32, rate=1)
        load.pipeline = "p"
        await load.subscribe(1)
        for _ in range(100):
            if load.connected == 0:
                break
            await asyncio.sleep(0.05)
        assert (load.connected, load.events, load.errors) == (0, 1, 0)  # no request failed
        assert load.error_samples[0].startswith("subscription ended:")
        await load.close()


async def test_kept_errors_are_the_first_three_of_each_kind() -> None:
    load = Load("http://127.0.0.1:1/graphql", "x" * 32, rate=1)
    for i in range(20):
        load._failed(f"not sent: {i} requests in flight")
    load._keep("subscriber closed: keepalive ping timeout")
    assert load.errors == 20
    assert load.error_samples == [
        "not sent: 0 requests in flight", "not sent: 1 requests in flight",
        "not sent: 2 requests in flight", "subscriber closed: keepalive ping timeout",
    ]  # fmt: skip
    await load.close()

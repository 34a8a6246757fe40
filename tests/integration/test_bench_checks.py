"""bench/graphql.lua checks every answer wrk receives (issue 11, item 15): a wrong answer,
an error or a non-200 is counted as wrong and never as throughput. wrk (installed by
`make bench`) drives a small local server for a second per case."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.load import WrkRun, run_wrk, write_answers

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")

RIGHT = b'{"data":{"deal":{"id":"1","value":48000}}}'
OTHER = b'{"data":{"deal":{"id":"2","value":52000}}}'
Answer = Callable[[bytes], tuple[int, bytes]]


@pytest.fixture
def server() -> Iterator[tuple[str, list[Answer]]]:
    """A keep-alive HTTP server; answer[0](request body) -> (status, response body)."""
    answer: list[Answer] = [lambda body: (200, RIGHT)]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes

        def do_POST(self) -> None:
            status, payload = answer[0](self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/graphql", answer
    finally:
        httpd.shutdown()
        httpd.server_close()


def drive(
    url: str, tmp_path: Path, bodies: list[str], answers: list[bytes], concurrency: int = 2
) -> WrkRun:
    body_file, answers_file = tmp_path / "bodies.txt", tmp_path / "answers.txt"
    body_file.write_text("".join(b + "\n" for b in bodies))
    write_answers(answers_file, answers)
    return run_wrk(url, body_file, answers_file, concurrency, seconds=1, token="t")


def test_the_expected_answer_counts(server: tuple[str, list[Answer]], tmp_path: Path) -> None:
    url, _ = server
    run = drive(url, tmp_path, ['{"id": "1"}'], [RIGHT])
    assert run.requests > 0
    assert (run.correct, run.wrong, run.socket_errors) == (run.requests, 0, 0)
    assert run.rps > 0


@pytest.mark.parametrize(
    "status, payload",
    [
        (200, OTHER),  # other data
        (200, b'{"data":{"deal":{"id":"1","value":48000.0}}}'),  # same data, other bytes
        (200, b'{"errors":[{"message":"boom"}],"data":null}'),
        (500, RIGHT),  # the right body with a failing status
    ],
)
def test_a_wrong_answer_is_counted_and_is_no_throughput(
    server: tuple[str, list[Answer]], tmp_path: Path, status: int, payload: bytes
) -> None:
    url, answer = server
    answer[0] = lambda body: (status, payload)
    run = drive(url, tmp_path, ['{"id": "1"}'], [RIGHT])
    assert run.requests > 0
    assert (run.correct, run.wrong) == (0, run.requests)
    assert run.rps == 0
    assert run.first_wrong.startswith(f"{status} ")
    assert payload.decode()[:50] in run.first_wrong


def test_the_answer_to_another_request_is_wrong(
    server: tuple[str, list[Answer]], tmp_path: Path
) -> None:
    """Two bodies, each with its own answer, sent in turn on one connection; the server
    answers both with the first one. Only as many of those count as requests for it were
    sent: the answers to the other half are wrong."""
    url, answer = server
    answer[0] = lambda body: (200, RIGHT)
    run = drive(url, tmp_path, ['{"id": "1"}', '{"id": "2"}'], [RIGHT, OTHER], concurrency=1)
    assert run.requests > 10
    assert run.correct + run.wrong == run.requests
    assert abs(run.wrong - run.requests / 2) <= 1

"""The socket server's HTTP/1.1 (fakeopenai/doors/http11.py): what uvicorn's protocol did, a request
served in one go when its body is small. Raw sockets, so each case is the bytes a client sends."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import openai
import pytest

from fakeopenai.doors.http11 import EAGER_BODY_BYTES, Http11Protocol
from fakeopenai.doors.server import ServerThread
from fakeopenai.http.app import create_app

SCENARIO = b"chat:\n  - times: always\n    steps:\n      - message: Scripted.\n"
CHAT = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    server = ServerThread(create_app()).start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(_request("PUT", "/_fake/scenario", SCENARIO, content_type=b"application/yaml"))
        assert _answers(sock, 1)[0][0] == 200
    yield server
    server.stop()


def _request(method: str, path: str, body: bytes = b"", *, content_type: bytes = b"application/json",
             extra: bytes = b"", version: bytes = b"1.1") -> bytes:
    head = (f"{method} {path} HTTP/".encode() + version + b"\r\nHost: x\r\nAuthorization: Bearer sk-http11\r\n"
            + extra)
    if body and b"chunked" not in extra:
        head += b"Content-Type: " + content_type + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
    return head + b"\r\n" + body


def _answers(sock: socket.socket, count: int) -> list[tuple[int, dict[bytes, bytes], bytes]]:
    """``count`` answers read off ``sock``: status, headers, body (by its length or its chunks)."""
    data, found = b"", []
    while len(found) < count:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"the server closed the connection after {len(found)} answers"
            data += chunk
        head, data = data.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        if status == 100:
            continue
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
        if b"content-length" in headers:
            length = int(headers[b"content-length"])
            while len(data) < length:
                data += sock.recv(65536)
            body, data = data[:length], data[length:]
        else:
            body = b""
            while True:
                while b"\r\n" not in data:
                    data += sock.recv(65536)
                size_line, rest = data.split(b"\r\n", 1)
                size = int(size_line, 16)
                while len(rest) < size + 2:
                    rest += sock.recv(65536)
                body, data = body + rest[:size], rest[size + 2:]
                if size == 0:
                    break
        found.append((status, headers, body))
    return found


def _connect(server: ServerThread) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def test_the_socket_server_uses_the_one_go_protocol(server: ServerThread) -> None:
    from fakeopenai.doors.server import uvicorn_config

    assert uvicorn_config(create_app()).http is Http11Protocol


def test_pipelined_requests_are_answered_in_order(server: ServerThread) -> None:
    with _connect(server) as sock:
        sock.sendall(_request("POST", "/v1/chat/completions", CHAT) + _request("GET", "/v1/models")
                     + _request("POST", "/v1/chat/completions", CHAT))
        answers = _answers(sock, 3)
    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert json.loads(answers[0][2])["object"] == "chat.completion"
    assert json.loads(answers[1][2])["object"] == "list"
    ids = [json.loads(answers[i][2])["id"] for i in (0, 2)]
    assert ids[0] != ids[1]
    assert answers[0][1][b"x-request-id"] != answers[2][1][b"x-request-id"]


def test_expect_100_continue_gets_its_interim_answer_before_the_body(server: ServerThread) -> None:
    with _connect(server) as sock:
        head = _request("POST", "/v1/chat/completions", CHAT, extra=b"Expect: 100-continue\r\n")
        sock.sendall(head[:-len(CHAT)])
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(CHAT)
        [(status, _, body)] = _answers(sock, 1)
    assert status == 200 and json.loads(body)["choices"][0]["message"]["content"] == "Scripted."


def test_a_chunked_request_body_is_read_whole(server: ServerThread) -> None:
    half = len(CHAT) // 2
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, CHAT[:half], len(CHAT) - half, CHAT[half:])
    with _connect(server) as sock:
        sock.sendall(_request("POST", "/v1/chat/completions", chunked,
                              extra=b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"))
        [(status, _, body)] = _answers(sock, 1)
    assert status == 200 and json.loads(body)["object"] == "chat.completion"


def test_a_body_sent_in_pieces_and_one_past_the_one_go_limit(server: ServerThread) -> None:
    padded = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "x" * EAGER_BODY_BYTES}]}).encode()
    with _connect(server) as sock:
        request = _request("POST", "/v1/chat/completions", CHAT)
        for at in range(0, len(request), 7):   # the body completes several reads after the head
            sock.sendall(request[at:at + 7])
        sock.sendall(_request("POST", "/v1/chat/completions", padded))
        answers = _answers(sock, 2)
    assert [status for status, _, _ in answers] == [200, 200]


def test_a_body_past_the_read_pause_and_under_the_old_limit_is_answered(server: ServerThread) -> None:
    # 64 KB < body <= 256 KB once hung: uvicorn paused reading past 64 KB, for an app that had not started.
    padded = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "x" * 200_000}]}).encode()
    with _connect(server) as sock:
        sock.sendall(_request("POST", "/v1/chat/completions", padded) + _request("GET", "/v1/models"))
        answers = _answers(sock, 2)
    assert [status for status, _, _ in answers] == [200, 200]


def test_the_sdk_uploads_a_file_of_every_size_around_the_limits(server: ServerThread) -> None:
    client = openai.OpenAI(api_key="sk-http11", base_url=server.base_url, max_retries=0, timeout=10)
    line = b'{"custom_id": "r", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o"}}\n'
    for size in (EAGER_BODY_BYTES - 1000, EAGER_BODY_BYTES + 1000, 205_890, 600_000):
        content = line * (size // len(line))
        uploaded = client.files.create(file=("requests.jsonl", content), purpose="batch")
        assert uploaded.bytes == len(content)
        assert client.files.content(uploaded.id).read() == content


def test_shutdown_closes_a_connection_whose_body_has_not_come() -> None:
    server = ServerThread(create_app()).start()
    with _connect(server) as sock:
        sock.sendall(_request("POST", "/v1/chat/completions", CHAT)[:-5])   # the head and most of the body
        assert server.port and _answers_nothing_yet(sock)
        thread = server._thread
        server.stop(timeout=5)
        assert thread is not None and not thread.is_alive(), "the server waited for a body that never came"
        sock.settimeout(5)
        assert sock.recv(10) == b""


def _answers_nothing_yet(sock: socket.socket) -> bool:
    sock.settimeout(0.05)
    try:
        return sock.recv(10) == b"" and False
    except TimeoutError:
        return True
    finally:
        sock.settimeout(10)


def test_a_stream_on_the_same_connection_as_plain_requests(server: ServerThread) -> None:
    streamed = json.dumps({"model": "gpt-4o", "stream": True,
                           "messages": [{"role": "user", "content": "Hi"}]}).encode()
    with _connect(server) as sock:
        sock.sendall(_request("POST", "/v1/chat/completions", streamed) + _request("GET", "/v1/models"))
        (status, headers, body), (second, _, _) = _answers(sock, 2)
    assert status == 200 and headers[b"content-type"].startswith(b"text/event-stream")
    assert body.rstrip().endswith(b"data: [DONE]") and second == 200


def test_http_1_0_is_answered_and_closed(server: ServerThread) -> None:
    with _connect(server) as sock:
        sock.sendall(_request("GET", "/v1/models", version=b"1.0"))
        [(status, headers, _)] = _answers(sock, 1)
        assert status == 200 and headers.get(b"connection") == b"close"
        assert sock.recv(10) == b""


def test_an_idle_connection_is_closed_after_the_keep_alive_limit() -> None:
    server = ServerThread(create_app()).start()
    try:
        config = server._server.config   # type: ignore[union-attr]  # read by each new connection
        config.timeout_keep_alive = 0.2
        with _connect(server) as sock:
            sock.sendall(_request("GET", "/v1/models"))
            assert _answers(sock, 1)[0][0] == 200
            sock.sendall(_request("GET", "/v1/models"))   # busy again: the timer is re-armed, not fired
            assert _answers(sock, 1)[0][0] == 200
            sock.settimeout(5)
            assert sock.recv(10) == b""                  # then closed, idle
    finally:
        server.stop()


def test_the_sdk_over_the_socket(server: ServerThread) -> None:
    client = openai.OpenAI(api_key="sk-http11", base_url=server.base_url, max_retries=0)
    answer = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    assert answer.choices[0].message.content == "Scripted."
    with client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}],
                                        stream=True) as stream:
        assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices) == "Scripted."

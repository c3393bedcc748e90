"""The access log's lines, written together (service/app.py Lines): whole lines, in writes of at most PIPE_BUF
bytes (so that processes sharing a pipe never interleave them), none lost, none before their time is up."""

import asyncio
import sys

from service.app import LOG_SECONDS, PIPE_BUF, Lines

LINES = [f'{{"method":"POST","path":"/graphql","status":200,"ms":{n}.25,"role":"AUDITOR","outcome":"ok"}}'
         for n in range(300)]


class Writes:
    """Standard error as the process writes to it: each write apart."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> None:
        self.writes.append(text)


def test_the_lines_of_many_requests_go_in_few_writes_of_whole_lines_each_no_larger_than_a_pipe_takes_at_once(monkeypatch):
    stderr = Writes()
    monkeypatch.setattr(sys, "stderr", stderr)

    async def requests() -> None:
        lines = Lines()
        for line in LINES:
            lines.add(line)
        await asyncio.sleep(LOG_SECONDS / 2)
        assert stderr.writes == []
        await asyncio.sleep(LOG_SECONDS)

    asyncio.run(requests())
    assert "".join(stderr.writes) == "".join(f"{line}\n" for line in LINES)
    assert all(write.endswith("\n") and len(write.encode()) <= PIPE_BUF for write in stderr.writes)
    assert len(stderr.writes) <= 10  # some 29 KB of lines: not a write for each


def test_once_closed_the_waiting_lines_are_written_and_each_later_line_at_once(monkeypatch):
    stderr = Writes()
    monkeypatch.setattr(sys, "stderr", stderr)

    async def shutdown() -> None:
        lines = Lines()
        lines.add(LINES[0])
        lines.close()
        assert stderr.writes == [f"{LINES[0]}\n"]
        lines.add(LINES[1])
        assert stderr.writes[-1] == f"{LINES[1]}\n"

    asyncio.run(shutdown())

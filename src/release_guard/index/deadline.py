"""One overall deadline for all index reads of a command.

A per-operation timeout does not bound a read: a server that sends one byte a second
never trips it. `Deadline` caps every socket operation at the time left, shuts down every
socket still open when the budget runs out (a blocked `recv` then returns at once), and
tells the retry loop when to stop. It can also say, once, that a read is slow.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from release_guard.config import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    import socket
    import threading

NOTICE_AFTER = 3.0
DEADLINE_HINT = (
    "the index is slow or does not answer: give it more time with --timeout, "
    "RELEASE_GUARD_TIMEOUT or the timeout key; --allow-offline turns this into a warning"
)

Notify = Callable[[str, int], None]  # (the URL being read, whole seconds left)


class Deadline:
    """The time all index reads of one command may take together, from its creation.

    `cap(seconds)` is what one socket operation may wait; `expired()` ends the retries;
    when the time is up every socket `attach`ed and not yet `detach`ed is shut down.
    After `notice_after` seconds, if a read is still going, `notify(url, seconds_left)`
    is called once (from a timer thread). `close()` cancels the timers; use `with`.
    """

    def __init__(self, seconds: float = DEFAULT_TIMEOUT, *, notify: Notify | None = None,
                 notice_after: float = NOTICE_AFTER) -> None:
        import threading

        if not seconds > 0:
            raise ValueError("a deadline must be positive")
        self.seconds = seconds
        self._start = time.monotonic()
        self._end = self._start + seconds
        self._notify = notify
        self._notice_after = notice_after
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._reading: str | None = None
        self._timers: list[threading.Timer] = []
        self._closed = False
        self.cut = False  # the budget ran out and open sockets were shut down

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def expired(self) -> bool:
        return self.cut or self.remaining() <= 0

    def cap(self, seconds: float) -> float:
        """`seconds`, or less when the deadline is nearer (never 0: that would mean non-blocking)."""
        return max(min(seconds, self.remaining()), 0.001)

    def reading(self, url: str) -> None:
        """A read of `url` (already safe to print) starts; the timers start with the first."""
        with self._lock:
            self._reading = url
            if not self._timers and not self._closed:
                self._start_timers()

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
            late = self.cut
        if late:
            _shut(sock)

    def detach(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()

    def _start_timers(self) -> None:
        import threading

        now = time.monotonic()
        timers = [threading.Timer(max(self._end - now, 0.0), self._cut_off)]
        if self._notify is not None and self._notice_after < self.seconds:
            timers.append(threading.Timer(max(self._start + self._notice_after - now, 0.0), self._notice))
        for timer in timers:
            timer.daemon = True
            timer.start()
        self._timers = timers

    def _cut_off(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.cut = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def _notice(self) -> None:
        with self._lock:
            url = None if self._closed else self._reading
        if url is not None and self._notify is not None:
            self._notify(url, math.ceil(self.remaining()))


def _shut(sock: socket.socket) -> None:
    """Wake up whoever is blocked on `sock`: its reads return at once, its writes fail."""
    import contextlib
    import socket as socket_mod

    with contextlib.suppress(OSError):  # already closed: nothing to wake
        # The plain socket's method, also for an SSLSocket: it must not touch the TLS state
        # that the reading thread is using.
        socket_mod.socket.shutdown(sock, socket_mod.SHUT_RDWR)

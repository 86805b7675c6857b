"""In-process request limits: per-key sliding windows (checks per user, failed logins per client
address) and a bound on how many checks are in flight at once.

Everything lives in the one server process: an office installation runs a single worker, and a
restart forgetting the counters costs nothing.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from contextlib import contextmanager

from indexing.errors import SangkienError

# Keys idle for a whole window are dropped once this many accumulate, so a scan from many
# addresses cannot grow the table without bound.
MAX_IDLE_KEYS = 10_000


class TooManyRequestsError(SangkienError):
    code = "too_many_requests"
    http_status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class ServiceBusyError(SangkienError):
    code = "busy"
    http_status = 503

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class SlidingWindow:
    """At most `limit` events per key in any `window_s` seconds; `limit` 0 switches it off."""

    def __init__(self, limit: int, window_s: float = 60.0, clock=time.monotonic):
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._events: dict[object, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window_s:
            events.popleft()
        return events

    def retry_after(self, key) -> int:
        """Whole seconds until `key` may act again; 0 when it may act now."""
        if self.limit <= 0:
            return 0
        with self._lock:
            now = self.clock()
            events = self._recent(key, now)
            if len(events) < self.limit:
                return 0
            return max(1, math.ceil(events[0] + self.window_s - now))

    def record(self, key) -> None:
        if self.limit <= 0:
            return
        with self._lock:
            now = self.clock()
            self._recent(key, now).append(now)
            if len(self._events) > MAX_IDLE_KEYS:
                for stale in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window_s]:
                    del self._events[stale]

    def take(self, key, message: str) -> None:
        """Count one event for `key`, or raise TooManyRequestsError if its window is full;
        `message` is formatted with the number of seconds to wait."""
        with self._lock:  # check and count atomically: parallel requests must not all slip through
            if self.limit > 0:
                now = self.clock()
                events = self._recent(key, now)
                if len(events) >= self.limit:
                    wait = max(1, math.ceil(events[0] + self.window_s - now))
                    raise TooManyRequestsError(message.format(seconds=wait), retry_after=wait)
                events.append(now)


class CheckSlots:
    """At most `size` checks in flight (0 = no bound); a request waits up to `wait_s` for a slot,
    then is turned away with 503 instead of piling up threads, uploads and parsed documents."""

    def __init__(self, size: int, wait_s: float):
        self.size = size
        self.wait_s = wait_s
        self._slots = threading.BoundedSemaphore(size) if size > 0 else None

    @contextmanager
    def slot(self):
        if self._slots is None:
            yield
            return
        if not self._slots.acquire(timeout=self.wait_s):
            retry = max(1, math.ceil(self.wait_s))
            raise ServiceBusyError(
                f"Máy chủ đang bận xử lý nhiều yêu cầu kiểm tra; vui lòng thử lại sau {retry} giây.",
                retry_after=retry)
        try:
            yield
        finally:
            self._slots.release()

"""The fake Okta's event hooks: registration with Okta's one-time verification, and
delivery of System Log events the way Okta delivers them.

Delivery is asynchronous, as at Okta: the operation that ended a session only queues the
delivery, and one background thread (started when there is something to send, ended as
soon as the queue is empty) posts it. Each call carries the hook's secret header; an answer
must come within ``timeout`` seconds (Okta: 3); a timeout, a failed connection or a 5xx
answer is retried once, a 4xx answer is not (Okta: "responses with a 4xx status code
aren't retried"). Every attempt is recorded as a ``HookDelivery``.

Lock order: the fake's own lock may be held when calling in here, never the other way
round; this module reads the fake's clock only while holding no lock of its own.
"""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from okta_session_mw.testing.fake_hook_http import (
    call_hook,
    check_hook_url,
    describe,
    verify_endpoint,
)
from okta_session_mw.testing.fake_hook_records import EventHook, HookDelivery
from okta_session_mw.testing.fake_json import okta_id
from okta_session_mw.testing.fake_log_json import hook_envelope

__all__ = ["MAX_EVENT_HOOKS", "EventHookHub"]

MAX_EVENT_HOOKS = 25
"""Okta allows at most 25 active, verified event hooks per org."""
KEPT_RECORDS = 10_000
"""The System Log and the delivery records keep the newest this many (a long-running fake,
such as the example app's, must not grow without bound)."""


@dataclass(frozen=True, slots=True)
class _Job:
    hook: EventHook
    event_id: str
    event_types: tuple[str, ...]
    event_uuids: tuple[str, ...]
    body: bytes


class EventHookHub:
    """The hooks of one fake org, its System Log, and the delivery queue and records.

    ``clock`` gives the fake's time; ``org_url`` gives the URL deliveries name as their
    ``source``; ``timeout`` bounds each call to an endpoint.
    """

    def __init__(
        self, *, clock: Callable[[], float], org_url: Callable[[], str], timeout: float
    ) -> None:
        if timeout <= 0:
            raise ValueError("event_hook_timeout must be > 0")
        self.timeout = timeout
        self._clock = clock
        self._org_url = org_url
        self._lock = threading.Lock()
        self._hooks: dict[str, EventHook] = {}
        self._log: collections.deque[dict[str, Any]] = collections.deque(maxlen=KEPT_RECORDS)
        self._queue: collections.deque[_Job] = collections.deque()
        self._deliveries: collections.deque[HookDelivery] = collections.deque(maxlen=KEPT_RECORDS)
        self._worker: threading.Thread | None = None
        self._stopping = False

    # -- hooks ------------------------------------------------------------------------

    def register(
        self,
        url: str,
        *,
        events: Iterable[str],
        header: tuple[str, str] | None,
        headers: Mapping[str, str],
        name: str | None,
    ) -> EventHook:
        check_hook_url(url)
        if isinstance(events, str):
            raise ValueError("events must be a list of event types, not one string")
        subscribed = frozenset(events)
        if not subscribed or not all(isinstance(e, str) and e for e in subscribed):
            raise ValueError("events must name at least one System Log event type")
        if header is not None and not (header[0] and header[1]):
            raise ValueError("header must be a (name, value) pair, both non-empty")
        hook_id = okta_id("who")
        hook = EventHook(
            hook_id, name or f"hook {hook_id}", url, subscribed, header, tuple(headers.items())
        )
        with self._lock:
            if len(self._hooks) >= MAX_EVENT_HOOKS:
                raise ValueError(f"Okta allows at most {MAX_EVENT_HOOKS} event hooks")
        verify_endpoint(hook.url, hook.request_headers(), self.timeout)
        with self._lock:
            self._hooks[hook.id] = hook
        return hook

    @property
    def hooks(self) -> list[EventHook]:
        with self._lock:
            return list(self._hooks.values())

    def remove(self, hook: EventHook | str) -> bool:
        hook_id = hook if isinstance(hook, str) else hook.id
        with self._lock:
            return self._hooks.pop(hook_id, None) is not None

    # -- events and deliveries ----------------------------------------------------------

    def emit(self, events: list[dict[str, Any]]) -> None:
        """Log ``events`` (one operation's) and queue a delivery to each hook subscribed to
        any of them (the events it subscribed to, in one batch)."""
        if not events:
            return
        now, org_url = self._clock(), self._org_url()
        with self._lock:
            self._log.extend(events)
            for hook in self._hooks.values():
                batch = [e for e in events if e["eventType"] in hook.events]
                if not batch:
                    continue
                envelope = hook_envelope(batch, org_url=org_url, hook_id=hook.id, event_time=now)
                body = json.dumps(envelope, separators=(",", ":")).encode()
                types = tuple(e["eventType"] for e in batch)
                uuids = tuple(e["uuid"] for e in batch)
                self._queue.append(_Job(hook, envelope["eventId"], types, uuids, body))
            if self._queue and self._worker is None:
                self._worker = threading.Thread(
                    target=self._drain, name="okta-fake-event-hooks", daemon=True
                )
                self._worker.start()

    @property
    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._log)

    @property
    def deliveries(self) -> list[HookDelivery]:
        with self._lock:
            return list(self._deliveries)

    def wait(self, timeout: float) -> None:
        """Return once nothing is queued or in flight; ``TimeoutError`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                worker = self._worker
                pending = len(self._queue) + (worker is not None)
            if worker is None:
                return
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                raise TimeoutError(
                    f"event hook deliveries still pending after {timeout} s ({pending} batches)"
                )

    def stop(self) -> None:
        """Cancel what is queued (recorded as ``"cancelled"``), let the attempt in flight
        end (within ``timeout``), retry nothing, and join the delivery thread."""
        now = self._clock()
        with self._lock:
            self._stopping = True
            while self._queue:
                self._record(self._queue.popleft(), 1, None, "cancelled", now, now)
            worker = self._worker
        try:
            if worker is not None:
                worker.join()
        finally:
            with self._lock:
                self._stopping = False

    def _drain(self) -> None:
        while True:
            with self._lock:  # the check and the hand-over in one step: no job is stranded
                if not self._queue:
                    self._worker = None
                    return
                job = self._queue.popleft()
            self._deliver(job)

    def _deliver(self, job: _Job) -> None:
        for attempt in (1, 2):
            started = self._clock()
            with self._lock:
                if self._stopping and attempt > 1:
                    self._record(job, attempt, None, "cancelled", started, started)
                    return
                if job.hook.id not in self._hooks:
                    return  # removed since: Okta no longer sends to it
            status, error = self._post(job)
            finished = self._clock()
            with self._lock:
                self._record(job, attempt, status, error, started, finished)
            if error is None or (status is not None and 400 <= status < 500):
                return

    def _post(self, job: _Job) -> tuple[int | None, str | None]:
        """One attempt: ``(status, error)``; never raises (the delivery thread must live)."""
        try:
            status, _ = call_hook(
                "POST", job.hook.url, job.hook.request_headers(), job.body, self.timeout
            )
        except TimeoutError:
            return None, "timeout"
        except Exception as exc:  # OSError, http.client.HTTPException (an answer not HTTP)
            return None, describe(exc)
        return status, None if 200 <= status < 300 else f"status {status}"

    def _record(
        self,
        job: _Job,
        attempt: int,
        status: int | None,
        error: str | None,
        started: float,
        finished: float,
    ) -> None:
        self._deliveries.append(
            HookDelivery(
                job.hook.id, job.event_id, job.event_types, job.event_uuids, attempt,
                status, error, started, finished, job.body,
            )
        )  # fmt: skip


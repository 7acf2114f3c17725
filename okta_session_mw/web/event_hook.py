"""The Okta Event Hook endpoint's decisions, with no framework in them (behaviour 15).

Okta pushes System Log events to the app (``{"eventType": "com.okta.event_hook",
"data": {"events": [LogEvent, ...]}}``) within seconds of a session's end, and verifies
the endpoint once with a ``GET`` carrying ``X-Okta-Verification-Challenge``. Every
call carries the secret header configured on the hook (``event_hook_header``, one of
``event_hook_secrets``); anything else is refused with 401 before its body is read.

An adapter does two steps (each a few lines; see ``integrations/starlette/``):

1. ``service.event_hook.screen(method, headers, content_length)``: a ``Reply`` to send
   at once (401, 405, 413, 400, the verification answer), or None: read the body, no
   more than ``MAX_BODY_BYTES + 1`` bytes of it;
2. ``service.aend_pushed(body)`` (``end_pushed`` in sync code): the engine reads the
   delivery (``hook.read``: 413 past ``MAX_BODY_BYTES``, 400 for anything but a JSON
   object with ``data.events``), ends what it names in the cache, and answers 200 (503
   when an end could not reach the shared cache: Okta delivers it again).

Reading a delivery keeps, for each event whose ``eventType`` is configured and whose
``outcome.result`` is not a failure, the ids of its targets of type ``User``; and, for
``user.session.end`` alone, the session that ended (``authenticationContext.
externalSessionId``, when it looks like one) and the actor, who is that session's user.
In every other event ``authenticationContext`` and ``actor`` are whoever did it (an
admin who suspends a user, say): their own session is alive, and must stay so. A
delivery naming more than ``MAX_ENDS`` sessions and users is refused whole (413), so
its work is bounded as its size is. Unknown fields and event types are ignored,
order does not matter (an end is an end), and events already seen (by ``uuid``, per
process, bounded; remembered once their ends are done) are skipped: Okta retries a
delivery it thinks failed, and a duplicate would be harmless anyway. Nothing here
calls Okta: the answer is within Okta's 3-second limit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.web.reply import Reply, json_reply

__all__ = ["MAX_BODY_BYTES", "EventHook", "PushedEnds", "read_bounded"]

MAX_BODY_BYTES = 1 << 20
"""The largest delivery read: a System Log event is 2-4 KB of JSON, and Okta sends a
few at a time; a megabyte leaves room for hundreds, and costs a few milliseconds."""
MAX_CONTAINERS = 50_000
"""The most ``[`` and ``{`` a delivery may hold to be parsed at all (an event has a
few dozen): a megabyte of nested brackets would stall the worker for no event."""
MAX_EVENTS = 1_000
"""The most events a delivery may hold (Okta sends a few at a time): each costs up to
two cache calls, and all of them must be done within Okta's 3 seconds."""
MAX_ENDS = 2 * MAX_EVENTS
"""Most sessions and users one delivery may end (each is a cache call or two): Okta
names one user per session end, clear or lifecycle event."""
SESSION_END = "user.session.end"
"""The one event whose ``authenticationContext`` and ``actor`` are the ended session's
(when the actor ended their own: ``_own_session_end``)."""
_FAILED = ("FAILURE", "DENY")
"""``outcome.result`` values of something that did not happen."""
_LENGTH = re.compile(r"[0-9]{1,12}")
SEEN_EVENTS = 10_000
"""Event ``uuid`` values remembered per process to skip Okta's retries."""
CHALLENGE_HEADER = "x-okta-verification-challenge"

_ID = re.compile(r"[A-Za-z0-9_-]{10,128}")
"""What an Okta session or user id looks like (``102...``/``idx...`` sessions, ``00u...``
users); anything else (``unknown``, an empty value) names nothing to end."""
_JSON = (("content-type", "application/json"), ("cache-control", "no-store"))


@dataclass(frozen=True, slots=True)
class PushedEnds:
    """What one delivery ends: sessions by id, and users (all their sessions)."""

    session_ids: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()
    uuids: tuple[str, ...] = ()
    """The events read (their ``uuid``), remembered once their ends are done."""

    def __repr__(self) -> str:  # session ids are cookies (``sid``): counts only
        return f"PushedEnds({len(self.session_ids)} sessions, {len(self.user_ids)} users)"


def _refused() -> Reply:
    return json_reply(401, "unauthorized", "missing or wrong event hook secret")


def _bad_delivery() -> Reply:
    return json_reply(400, "bad_request", "not an Okta event hook delivery")


def too_large() -> Reply:
    """The answer to a body longer than ``MAX_BODY_BYTES``."""
    return json_reply(413, "too_large", f"an event hook delivery is {MAX_BODY_BYTES} bytes at most")


DELIVERED = Reply(200, _JSON, b'{"ok":true}')
"""The answer to a delivery read and ended everywhere (Okta retries anything else)."""


class EventHook:
    """The endpoint for one config: who may call it, and what a delivery ends.

    Safe across threads (the memory of events seen holds a lock). Its ``repr`` shows
    no secret."""

    def __init__(self, config: OktaSessionConfig) -> None:
        accepted = config.event_hook_secrets
        self._secrets = tuple(hashlib.sha256(s.encode()).digest() for s in accepted)
        self.header = config.event_hook_header
        self._events = frozenset(config.event_hook_events)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EventHook(header={self.header!r}, {len(self._secrets)} secrets)"

    def authenticated(self, value: str | None) -> bool:
        """Whether ``value`` (the secret header) is one of the accepted secrets: each one
        compared in constant time (``hmac.compare_digest``, of SHA-256 digests so that
        not even a length shows), all of them always, so the time says nothing of which
        matched or how much of one. No secret configured: never."""
        if value is None:
            return False
        try:
            given = hashlib.sha256(value.encode("latin-1")).digest()
        except UnicodeEncodeError:  # not a header value Okta could send
            return False
        matched = False
        for secret in self._secrets:
            matched |= hmac.compare_digest(given, secret)
        return matched

    def screen(
        self, method: str, headers: Mapping[str, str], content_length: str | None = None
    ) -> Reply | None:
        """What to answer before any body is read; None: read the body (POST).

        ``headers`` is the request's, looked up by lower-case name (any framework's
        case-insensitive headers do)."""
        if not self.authenticated(headers.get(self.header)):
            return _refused()
        if method == "GET":
            challenge = headers.get(CHALLENGE_HEADER)
            if not challenge or len(challenge) > 1024:
                return json_reply(400, "bad_request", "no verification challenge")
            return Reply(200, _JSON, json.dumps({"verification": challenge}).encode())
        if method != "POST":
            return json_reply(405, "method_not_allowed", "GET (verification) or POST only",
                              (("allow", "GET, POST"),))  # fmt: skip
        if content_length is not None:
            length = content_length.strip()
            if _LENGTH.fullmatch(length) is None:  # ASCII digits only: "²" is a digit too
                return too_large() if length.isascii() and length.isdigit() else _bad_delivery()
            if int(length) > MAX_BODY_BYTES:
                return too_large()
        return None

    def read(self, body: bytes) -> PushedEnds | Reply:
        """The ends a delivery names (events not seen before, of configured types), or
        400 for a body that is not a delivery. Never raises."""
        if len(body) > MAX_BODY_BYTES:
            return too_large()
        if body.count(b"[") + body.count(b"{") > MAX_CONTAINERS:
            return _bad_delivery()
        try:
            delivery = json.loads(body)
        except (ValueError, RecursionError):  # ValueError covers UnicodeDecodeError too
            return _bad_delivery()
        data = delivery.get("data") if isinstance(delivery, dict) else None
        events = data.get("events") if isinstance(data, dict) else None
        if not isinstance(events, list):
            return _bad_delivery()
        if len(events) > MAX_EVENTS:  # refused whole: none of its ends is dropped unsaid
            return json_reply(413, "too_large", f"{MAX_EVENTS} events per delivery at most")
        sessions: dict[str, None] = {}
        users: dict[str, None] = {}
        uuids: dict[str, None] = {}
        for event in events:
            if not isinstance(event, dict):
                continue
            kind = event.get("eventType")
            if not isinstance(kind, str) or kind not in self._events:
                continue
            uuid = event.get("uuid")
            if isinstance(uuid, str) and 0 < len(uuid) <= 128:
                if uuid in uuids or self._seen_before(uuid):
                    continue  # Okta's retry: already ended
                uuids[uuid] = None
            if _failed(event):
                continue
            targets = _users_named(event.get("target"))
            if kind == SESSION_END and _own_session_end(event, targets):
                context = event.get("authenticationContext")
                if isinstance(context, dict) and _plausible(context.get("externalSessionId")):
                    sessions[context["externalSessionId"]] = None
                targets += _users_named([event.get("actor")])
            for user_id in targets:
                users[user_id] = None
            if len(sessions) + len(users) > MAX_ENDS:
                return json_reply(413, "too_large", f"{MAX_ENDS} ends per delivery at most")
        return PushedEnds(tuple(sessions), tuple(users), tuple(uuids))

    def _seen_before(self, uuid: str) -> bool:
        with self._lock:
            return uuid in self._seen

    def done(self, ends: PushedEnds) -> None:
        """Remember the events of ``ends`` as handled (once their ends are done, so a
        delivery that failed halfway is handled again when Okta retries it); bounded,
        the oldest forgotten first. An event without ``uuid`` is read every time
        (ending twice is harmless)."""
        with self._lock:
            for uuid in ends.uuids:
                self._seen[uuid] = None
            while len(self._seen) > SEEN_EVENTS:
                self._seen.popitem(last=False)


def _users_named(parties: object) -> list[str]:
    """The ids of the ``User`` entries of ``parties`` (an event's ``target`` list)."""
    return [
        party["id"]
        for party in (parties if isinstance(parties, list) else ())
        if isinstance(party, dict) and party.get("type") == "User" and _plausible(party.get("id"))
    ]


def _own_session_end(event: dict[str, object], targets: list[str]) -> bool:
    """The ``user.session.end`` is not one user's act on another's session: its actor
    is no ``User`` other than every ``User`` it targets (a user signing out, or Okta
    itself ending it). Its ``authenticationContext`` is then the ended session's; an
    end an admin caused may name the admin there, whose session lives on."""
    actor = _users_named([event.get("actor")])
    return not actor or all(target == actor[0] for target in targets)


def _failed(event: dict[str, object]) -> bool:
    """Okta logged an attempt that did not happen (a suspension refused, say)."""
    outcome = event.get("outcome")
    return isinstance(outcome, dict) and outcome.get("result") in _FAILED


def _plausible(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def read_bounded(read: Callable[[int], bytes]) -> bytes:
    """A delivery's body from a blocking ``read(n)`` (a WSGI stream, Django's request),
    no more than ``MAX_BODY_BYTES + 1`` bytes of it (``read`` answers 413 to that):
    read until the end, as a WSGI stream may give fewer bytes than asked."""
    body = bytearray()
    while len(body) <= MAX_BODY_BYTES:
        chunk = read(MAX_BODY_BYTES + 1 - len(body))
        if not chunk:
            break
        body += chunk
    return bytes(body)

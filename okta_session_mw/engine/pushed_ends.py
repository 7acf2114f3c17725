"""Ending what an Okta Event Hook delivery names, as a flow (behaviour 15).

The delivery is read (``web/event_hook.py``: which sessions and users its events end),
then each session is evicted by id and each user's sessions by user, everywhere (one
Redis call each, for every worker): no call to Okta, so the answer is well within
Okta's 3-second limit. The evictions leave the cache's "ended" marks, so neither a
stale entry nor a lookup already in flight can serve an ended session again
(behaviour 13).

An end that could not reach the shared cache (this worker cut off from Redis: the
cache keeps it "owed", sent only with this worker's next call that reaches Redis,
which an idle or partitioned worker may never make) has not reached the other
workers, so the delivery is answered 503, not 200: Okta delivers it again (to this
worker or another), and its events are not remembered as handled, so the retry is
not skipped as a duplicate. Ending twice is harmless.
"""

from __future__ import annotations

import logging

from okta_session_mw.engine.effects import PARSE, Flow, cache_evict_session, cache_evict_user
from okta_session_mw.engine.rules import Rules
from okta_session_mw.web.event_hook import DELIVERED, EventHook
from okta_session_mw.web.reply import Reply, json_reply

__all__ = ["end_pushed"]

logger = logging.getLogger("okta_session_mw")

_INLINE_BYTES = 64 * 1024
"""A delivery larger than this is parsed off the event loop (the ``PARSE`` step)."""


def _not_everywhere() -> Reply:
    return json_reply(503, "unavailable", "the shared session cache could not be reached")


def end_pushed(hook: EventHook, body: bytes, rules: Rules) -> Flow[Reply]:
    """Read one delivery's body and end what it names; the answer to send Okta (200,
    400 for a body that is not a delivery, 503 when an end did not reach the shared
    cache: Okta then delivers it again)."""
    if len(body) > _INLINE_BYTES:
        yield PARSE
    ends = hook.read(body)
    if isinstance(ends, Reply):
        logger.warning("okta_session_mw: event hook delivery refused (%d)", ends.status)
        return ends
    owed = 0
    for session_id in ends.session_ids:
        owed += not (yield from cache_evict_session(session_id))
    for user_id in ends.user_ids:
        owed += not (yield from cache_evict_user(user_id))
    if owed:  # not everywhere yet: Okta must send it again, and it is not "done"
        logger.warning(
            "okta_session_mw: event hook could not reach the shared cache for %d of %d "
            "ends; answering 503 so Okta delivers it again",
            owed, len(ends.session_ids) + len(ends.user_ids),
        )  # fmt: skip
        return _not_everywhere()
    hook.done(ends)
    if ends.session_ids or ends.user_ids:  # counts only: ids are secrets (a sid is a cookie)
        logger.info(
            "okta_session_mw: event hook ended %d sessions and %d users",
            len(ends.session_ids), len(ends.user_ids),
        )  # fmt: skip
    return DELIVERED

"""What a delivery ends, and what it may cost (found by the attack review of issue 13):
an admin's action ends the user's sessions, not the admin's; one delivery's work is
bounded; a Content-Length that is no number is a 400, not an exception."""

from __future__ import annotations

import json

import httpx
import pytest

from okta_session_mw import SessionService
from okta_session_mw.testing import FakeOkta
from okta_session_mw.web.event_hook import MAX_EVENTS, EventHook
from okta_session_mw.web.reply import Reply
from tests.integrations.starlette.test_event_hook import (
    SECRET,
    deliver,
    delivery,
    hooked,  # noqa: F401  (fixture)
    log_event,
    served,
)
from tests.support.apps import make_config
from tests.support.okta_users import LOGIN

ADMIN = "admin@example.com"


async def test_i13_01_an_admins_action_at_okta_does_not_end_the_admins_own_session(
    hooked: tuple[SessionService, httpx.AsyncClient],  # noqa: F811
    okta: FakeOkta,
) -> None:
    """An admin signed in to the app suspends Ann in the Okta Admin Console. Okta logs
    ``user.lifecycle.suspend`` with the admin as ``actor`` and, as for every event, the
    *actor's* session as ``authenticationContext.externalSessionId`` (Okta: "metadata
    about how the actor is authenticated ... all of the user's future-generated events
    in this sign-in session share the same externalSessionId"). Ann is the target.
    Ann's sessions must end; the admin's session, alive at Okta, must not."""
    _, client = hooked
    okta.add_user(ADMIN, "pw")
    admin_id = next(u.id for u in okta.users if u.login == ADMIN)
    ann_id = next(u.id for u in okta.users if u.login == LOGIN)
    admins = okta.create_session(ADMIN)
    anns = okta.create_session(LOGIN)
    assert await served(client, okta, admins) == admins
    assert await served(client, okta, anns) == anns
    okta.revoke_user_sessions(ann_id)  # what the suspension does at Okta
    event = log_event("user.lifecycle.suspend", session_id=admins, actor=admin_id, target=ann_id)
    assert (await deliver(client, delivery(event))).status_code == 200
    assert await served(client, okta, anns) is None
    assert await served(client, okta, admins) == admins  # the admin's session is alive


async def test_i13_01_a_delivery_ends_no_more_users_than_its_bound_allows(okta: FakeOkta) -> None:
    """``MAX_EVENTS`` bounds a delivery so that its ends (each "up to two cache calls")
    fit in Okta's 3 seconds; but one event may name any number of ``User`` targets.
    A delivery must be refused (413) or bounded: never 20,000 evictions by user (20,000
    Redis round trips, and as many user marks) from one request."""
    hook = EventHook(make_config(okta, event_hook_secrets=(SECRET,)))
    event = log_event("user.session.clear", actor="00uTheAdmin00000001")
    event["target"] = [{"id": f"00u{n:017d}", "type": "User"} for n in range(20_000)]
    body = json.dumps({"data": {"events": [event]}}).encode()
    ends = hook.read(body)
    if isinstance(ends, Reply):
        assert ends.status == 413
    else:
        assert len(ends.user_ids) + len(ends.session_ids) <= 2 * MAX_EVENTS


@pytest.mark.parametrize("content_length", ["\u00b2", "9" * 5000])
def test_i13_01_a_content_length_that_is_no_number_is_400_not_an_exception(
    okta: FakeOkta, content_length: str
) -> None:
    """``screen`` promises a ``Reply``: ``'\\xb2'`` (a latin-1 header byte) passes
    ``str.isdigit`` but not ``int``; 5,000 digits exceed ``int``'s digit limit (3.11+).
    Both raise ValueError from ``screen`` (a 500 with a traceback)."""
    hook = EventHook(make_config(okta, event_hook_secrets=(SECRET,)))
    answer = hook.screen("POST", {"authorization": SECRET}, content_length)
    assert isinstance(answer, Reply) and answer.status in (400, 413)


def test_i13_01_only_a_session_end_names_its_session_and_actor_and_failures_end_nothing(
    okta: FakeOkta,
) -> None:
    hook = EventHook(make_config(okta, event_hook_secrets=(SECRET,)))
    admin, ann, session = "00uTheAdmin00000001", "00uAnn000000000001", "102SessionOfAnn0001"
    ended = hook.read(delivery(log_event("user.session.end", session_id=session,
                                         actor=ann, target=ann)))  # fmt: skip
    assert not isinstance(ended, Reply)
    assert (ended.session_ids, ended.user_ids) == ((session,), (ann,))
    for kind in ("user.session.clear", "user.lifecycle.suspend", "user.lifecycle.deactivate"):
        ended = hook.read(delivery(log_event(kind, session_id="102AdminsOwnSession1",
                                             actor=admin, target=ann)))  # fmt: skip
        assert not isinstance(ended, Reply)
        assert (ended.session_ids, ended.user_ids) == ((), (ann,)), kind  # not the admin
    refused = log_event("user.lifecycle.suspend", actor=admin, target=ann)
    refused["outcome"] = {"result": "FAILURE", "reason": "not allowed"}
    ended = hook.read(delivery(refused))
    assert not isinstance(ended, Reply) and ended.user_ids == ()


def test_i13_01_a_session_end_an_admin_caused_ends_the_user_not_the_admins_session(
    okta: FakeOkta,
) -> None:
    """Should Okta log an end an admin caused with the admin as actor (and the admin's
    session in ``authenticationContext``), the admin's session must live on: an end
    whose actor is a user other than its target names no session."""
    hook = EventHook(make_config(okta, event_hook_secrets=(SECRET,)))
    admin, ann = "00uTheAdmin00000001", "00uAnn000000000001"
    ended = hook.read(delivery(log_event("user.session.end", session_id="102AdminsOwnSession1",
                                         actor=admin, target=ann)))  # fmt: skip
    assert not isinstance(ended, Reply)
    assert (ended.session_ids, ended.user_ids) == ((), (ann,))
    own = log_event("user.session.end", session_id="102AnnsSession000001", actor=ann)
    ended = hook.read(delivery(own))  # no target: the actor's own end
    assert not isinstance(ended, Reply)
    assert (ended.session_ids, ended.user_ids) == (("102AnnsSession000001",), (ann,))

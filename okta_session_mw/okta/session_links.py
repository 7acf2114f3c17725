"""Reading a Session's ``_links``: one ``Link`` per relation, each member checked.

Every failure is a ``SessionParseError`` naming the member's path
(``_links.self.href``, ``_links.refresh.hints.allow[0]``). The org-wide links (self,
refresh) are the same for every session of an org, so one object is shared between
sessions (``session_bounds``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from okta_session_mw.errors import SessionParseError
from okta_session_mw.okta.session_bounds import (
    MAX_METHODS,
    ORG_WIDE_HREFS,
    SHARED_ALLOW,
    SHARED_LINKS,
    SHARED_MAX,
    SHARED_STR,
    extras,
    share,
)
from okta_session_mw.okta.session_parts import LINK_FIELDS, Link
from okta_session_mw.okta.wire import DROPPED, EMPTY, Keep, freeze, json_type

__all__ = ["links"]


def links(value: object, keep: Keep) -> Mapping[str, Link]:
    """``Session.links`` for a body's ``_links`` member (None: no links)."""
    if value is None:
        return EMPTY
    if type(value) is not dict and not isinstance(value, Mapping):
        raise SessionParseError("_links", f"expected an object, got {json_type(value)}")
    read: dict[str, Link] = {}
    for rel, raw in value.items():
        if not isinstance(rel, str):
            raise SessionParseError("_links", f"link names must be strings, not {json_type(rel)}")
        read[share(SHARED_STR, rel)] = _link(rel, raw, keep)
    return read


def _link(rel: str, link: object, keep: Keep) -> Link:
    # Field names are built only on failure: this runs three times per parsed body.
    if type(link) is not dict and not isinstance(link, Mapping):
        raise _link_error(rel, "", f"expected an object, got {json_type(link)}")
    href, name, templated, media_type = _members(rel, link)
    extra = (
        {} if LINK_FIELDS.issuperset(link) else extras(link, LINK_FIELDS, f"_links.{rel}.", keep)
    )
    allow = _hints(rel, link.get("hints"), extra, keep)
    org_wide = href.endswith(ORG_WIDE_HREFS)
    if org_wide:
        href = share(SHARED_STR, href)
    # self and refresh links are the same for every session of the org: one object
    # (not the user link: it names its user).
    shareable = org_wide and not extra and name is None
    key = (href, allow, templated, media_type)
    if shareable:
        shared = SHARED_LINKS.get(key)
        if shared is not None:
            return shared
    made = Link(
        href=href,
        name=name,
        hints_allow=allow,
        templated=templated,
        media_type=media_type,
        extra=extra,
    )
    if shareable and len(SHARED_LINKS) < SHARED_MAX:
        SHARED_LINKS[key] = made
    return made


def _members(rel: str, link: Mapping[Any, Any]) -> tuple[str, str | None, bool | None, str | None]:
    """``href``, ``name``, ``templated`` and ``type``, each checked in that order."""
    href = link.get("href")
    if not isinstance(href, str):
        if href is not None:
            raise _link_error(rel, ".href", f"expected a string, got {json_type(href)}")
        raise _link_error(rel, ".href", "must not be null" if "href" in link else "is required")
    name = link.get("name")
    if not (name is None or isinstance(name, str)):
        raise _link_error(rel, ".name", f"expected a string or null, got {json_type(name)}")
    templated = link.get("templated")
    if not (templated is None or isinstance(templated, bool)):
        raise _link_error(
            rel, ".templated", f"expected a boolean or null, got {json_type(templated)}"
        )
    media_type = link.get("type")
    if not (media_type is None or isinstance(media_type, str)):
        raise _link_error(rel, ".type", f"expected a string or null, got {json_type(media_type)}")
    return href, name, templated, media_type


def _hints(rel: str, hints: object, extra: dict[str, Any], keep: Keep) -> tuple[str, ...]:
    """``hints.allow``; any other shape of ``hints`` is kept whole in ``extra``."""
    if hints is None:
        return ()
    if type(hints) is not dict and not isinstance(hints, Mapping):
        raise _link_error(rel, ".hints", f"expected an object, got {json_type(hints)}")
    allow = _allow(rel, hints.get("allow"))
    if not allow or len(hints) != 1:
        # A shape that hints_allow alone would not write back: keep it whole.
        frozen = freeze(hints, keep, f"_links.{rel}.hints")
        if frozen is not DROPPED:
            extra["hints"] = frozen
    return allow


def _allow(rel: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise _link_error(rel, ".hints.allow", f"expected an array or null, got {json_type(value)}")
    if len(value) > MAX_METHODS:
        message = f"has {len(value)} entries, more than {MAX_METHODS}"
        raise _link_error(rel, ".hints.allow", message)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            message = f"expected a string, got {json_type(item)}"
            raise _link_error(rel, f".hints.allow[{index}]", message)
    return share(SHARED_ALLOW, tuple(value))


def _link_error(rel: str, member: str, message: str) -> SessionParseError:
    return SessionParseError(f"_links.{rel}{member}", message)

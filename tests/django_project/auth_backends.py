"""A project's own ``OktaSessionBackend``: fields set from the Okta session at each login
(the ``configure_user`` hook), users created on first sight."""

from __future__ import annotations

from typing import Any, ClassVar

from okta_session_mw.integrations.django import OktaSessionBackend
from okta_session_mw.okta.session import Session


class NamingBackend(OktaSessionBackend):
    create_unknown_user = True
    seen: ClassVar[list[tuple[str, bool]]] = []
    """(login, created) for each call of the hook."""

    def configure_user(self, request: Any, user: Any, okta_session: Session, created: bool) -> Any:
        self.seen.append((okta_session.login or "", created))
        user.email = okta_session.login
        user.save(update_fields=["email"])
        return user

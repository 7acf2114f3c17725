"""``OktaSessionBackend``: the Django user for the request's own Okta session.

Django's ``RemoteUserBackend`` trusts a username the web server vouches for; this one
trusts the login of the Okta session the middleware verified for this very request.
``authenticate(request, okta_session=...)`` accepts only the request's own session (the
object ``get_okta_session(request)`` answers, with an accepted status): a ``Session``
made up by other code logs no one in. It never checks a password, so Django's login
form, the admin's included, falls through to the other backends.

Users are matched on ``USERNAME_FIELD`` (``clean_username`` maps an Okta login onto
it). One is created on first sight only when ``OKTA_SESSION["CREATE_USERS"]`` is True
(or a subclass sets ``create_unknown_user``), never otherwise, and with an unusable
password. ``configure_user`` is the hook that sets fields. An inactive user is refused,
as ``ModelBackend`` refuses one; permissions are ``ModelBackend``'s.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest

from okta_session_mw.okta.session import Session
from okta_session_mw.web.access import passes

from .middleware import pending_service, resolution_for
from .settings import CREATE_USERS, adapter_setting

__all__ = ["OktaSessionBackend"]


class OktaSessionBackend(ModelBackend):
    """Authenticates the request's verified Okta session as the Django user of its login.

    Add ``"okta_session_mw.integrations.django.OktaSessionBackend"`` to
    ``AUTHENTICATION_BACKENDS`` and ``OktaSessionAuthMiddleware`` after Django's
    ``AuthenticationMiddleware``. Subclass to change ``clean_username`` or
    ``configure_user``.
    """

    create_unknown_user: bool | None = None
    """None: ``OKTA_SESSION["CREATE_USERS"]`` decides (False when absent)."""

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, *, okta_session: Session | None = None
    ) -> Any:
        """The user for ``okta_session`` when it is ``request``'s own accepted session."""
        if request is None or okta_session is None or not okta_session.login:
            return None
        resolution = resolution_for(request)  # already resolved: no Okta call
        if okta_session is not resolution.session:
            return None  # not the session verified for this request
        if not passes(resolution, pending_service(request).config):
            return None
        user_model = get_user_model()
        username = self.clean_username(okta_session.login)
        manager: Any = user_model._default_manager  # the project's manager (natural keys)
        field = str(user_model.USERNAME_FIELD)
        created = False
        if self.creates_users():
            # no password: the user signs in through Okta, never with Django's login form
            unusable = {"password": make_password(None)}
            user, created = manager.get_or_create(**{field: username}, defaults=unusable)
        else:
            try:
                user = manager.get_by_natural_key(username)
            except user_model.DoesNotExist:
                return None
        user = self.configure_user(request, user, okta_session, created)
        return user if self.user_can_authenticate(user) else None

    def creates_users(self) -> bool:
        """Whether an Okta login with no Django user yet gets one."""
        if self.create_unknown_user is not None:
            return self.create_unknown_user
        return adapter_setting(CREATE_USERS, False) is True

    def clean_username(self, login: str) -> str:
        """The ``USERNAME_FIELD`` value for an Okta login (the login itself by default)."""
        return login

    def configure_user(
        self, request: HttpRequest, user: Any, okta_session: Session, created: bool
    ) -> Any:
        """Set fields on ``user`` at each Django login (``created`` on its first); save
        what you change. Returns the user to log in."""
        return user

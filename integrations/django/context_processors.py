"""Template context for a logout form: add
``"okta_session_mw.integrations.django.context_processors.okta_session"`` to
``TEMPLATES[...]["OPTIONS"]["context_processors"]``, then::

    <form method="post" action="{% url 'okta_session:logout' %}">
      <input type="hidden" name="{{ okta_csrf_field }}" value="{{ okta_logout_csrf_token }}">
      <button>Sign out</button>
    </form>

The token is made only if a template uses it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from okta_session_mw.web.csrf import CSRF_FIELD

from .views import logout_csrf_token

__all__ = ["okta_session"]


def okta_session(request: HttpRequest) -> dict[str, Any]:
    """``okta_logout_csrf_token`` (lazy) and ``okta_csrf_field`` for templates."""
    return {
        "okta_logout_csrf_token": SimpleLazyObject(lambda: logout_csrf_token(request)),
        "okta_csrf_field": CSRF_FIELD,
    }

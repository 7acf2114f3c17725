"""``request.okta_session``'s lazy value: Django's ``SimpleLazyObject``, cheaper to make and test.

Django's ``LazyObject`` sends every attribute read of its own, ``self.__dict__`` and
``self._setup`` included, through a ``__getattribute__`` written in Python (so that
``hasattr(lazy, "__len__")`` answers for the wrapped object). Making one and testing
it with ``if`` costs about 2.5 µs that way, as much as the rest of a cache hit. This
subclass makes it, sets it up and answers ``bool()`` and attribute reads with the
interpreter's own attribute access; everything else (``==``, ``str``, ``repr``,
``hash``, copying, pickling, the ``__class__`` it pretends) is Django's. It keeps
Django's name, so ``type(value).__name__`` and the repr read as they always did, and
it is an instance of Django's class. Not set up yet, it holds only its function: the
``_wrapped`` it reads until then is the class's (Django's sets both on the instance).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, final

from django.utils import functional

__all__ = ["SimpleLazyObject", "lazy_value"]

if TYPE_CHECKING:  # generic in django-stubs only
    _Django = functional.SimpleLazyObject[Any]
else:
    _Django = functional.SimpleLazyObject
_EMPTY = functional.empty
_get = object.__getattribute__  # no Python-level __getattribute__ on the way


def _wrapped(lazy: SimpleLazyObject) -> Any:
    """The value, made by the function at the first read (as Django's ``_setup``: kept
    in the instance's ``__dict__``, where Django keeps it; read there, one call)."""
    state = _get(lazy, "__dict__")
    value = state.get("_wrapped", _EMPTY)
    if value is _EMPTY:
        value = state["_wrapped"] = _get(lazy, "_setupfunc")()
    return value


@final
class SimpleLazyObject(_Django):
    """Django's ``SimpleLazyObject`` with a direct ``__init__``, ``__bool__`` and
    attribute reads (the same state under the same names, the same answers)."""

    # The function in a slot: one store, no instance dict until the value is made.
    __slots__ = ("_setupfunc",)
    _wrapped = _EMPTY  # not set up yet: read from here until the value is made

    def __init__(self, func: Callable[[], Any]) -> None:
        _store_func(self, func)

    def __bool__(self) -> bool:
        state = _get(self, "__dict__")  # _wrapped(self), inlined: what a view tests
        value = state.get("_wrapped", _EMPTY)
        if value is _EMPTY:
            value = state["_wrapped"] = _get(self, "_setupfunc")()
        return bool(value)

    def __getattribute__(self, name: str) -> Any:
        # Django's rule, without its cost for the value's own attributes (``.login``):
        # a name that neither this class nor the instance holds is the value's.
        if name not in _OWN_NAMES and name not in _get(self, "__dict__"):
            return getattr(_wrapped(self), name)
        return _Django.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:  # Django's proxy methods, read by name
        return getattr(_wrapped(self), name)

    # As Django marks its proxy methods: read as attributes, they come from the value.
    __bool__._mask_wrapped = False  # type: ignore[attr-defined]
    __getattr__._mask_wrapped = False  # type: ignore[attr-defined]


_new = object.__new__
_store_func = SimpleLazyObject.__dict__["_setupfunc"].__set__  # the slot's own setter


def lazy_value(func: Callable[[], Any]) -> SimpleLazyObject:
    """``SimpleLazyObject(func)`` without the class call and its ``__init__`` frame:
    what the middleware makes for every request."""
    lazy: SimpleLazyObject = _new(SimpleLazyObject)
    _store_func(lazy, func)
    return lazy


_OWN_NAMES = frozenset(
    [name for kind in SimpleLazyObject.__mro__ for name in vars(kind)] + ["_setupfunc"]
)
"""Every name the lazy object itself answers for (``__class__``, ``__len__``, ...),
with the state it keeps (``_setupfunc`` in its slot, ``_wrapped`` in its ``__dict__``)."""

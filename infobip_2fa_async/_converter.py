"""The one cattrs converter: snake_case attributes <-> camelCase JSON, enums, strict primitive types.

Every model goes through here, so naming and enum rules live in one place:
- ``from_`` is ``from`` on the wire (a trailing underscore only dodges a Python keyword);
- ``None`` fields with a ``None`` default are left out of request bodies;
- a ``SomeEnum | str`` field takes a known value as the enum member and an unknown one as the raw string;
- primitives are checked, not coerced: ``"verified": "yes"`` is a decode error, not ``True``.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._models import WireEnum

__all__ = ["converter", "decode_problem", "wire_name"]

T = TypeVar("T")

# Wire names that plain camelCase would get wrong.
_SPECIAL_NAMES: dict[str, str] = {"repeat_dtmf": "repeatDTMF"}


def wire_name(attribute: str) -> str:
    """Map a Python attribute name to its JSON key: ``pin_time_to_live`` -> ``pinTimeToLive``."""
    if attribute in _SPECIAL_NAMES:
        return _SPECIAL_NAMES[attribute]
    head, *rest = attribute.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


converter = cattrs.Converter()


def _renames(cls: type) -> dict[str, Any]:
    return {
        field.name: override(rename=wire_name(field.name))
        for field in attrs.fields(cls)
        if wire_name(field.name) != field.name
    }


converter.register_structure_hook_factory(
    attrs.has, lambda cls: make_dict_structure_fn(cls, converter, **_renames(cls))
)
converter.register_unstructure_hook_factory(
    attrs.has,
    lambda cls: make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True, **_renames(cls)),
)


def _strict(kind: type[T], accepted: tuple[type, ...]) -> Callable[[object, type], T]:
    def structure(value: object, _: type) -> T:
        # type() rather than isinstance(): True must not pass for an int.
        if type(value) not in accepted:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value  # type: ignore[return-value]

    return structure


converter.register_structure_hook(str, _strict(str, (str,)))
converter.register_structure_hook(bool, _strict(bool, (bool,)))
converter.register_structure_hook(int, _strict(int, (int,)))
converter.register_structure_hook(float, _strict(float, (float, int)))


def _open_enum(union: Any) -> type[WireEnum] | None:
    """The WireEnum of a ``SomeWireEnum | str`` (or ``| None``) field type, else None."""
    if typing.get_origin(union) not in (typing.Union, types.UnionType):
        return None
    members = [arg for arg in typing.get_args(union) if arg is not type(None)]
    enums = [arg for arg in members if isinstance(arg, type) and issubclass(arg, WireEnum)]
    return enums[0] if len(enums) == 1 and len(members) == 2 and str in members else None


def _structure_open_enum(union: Any) -> Callable[[object, type], Enum | str | None]:
    enum = _open_enum(union)
    assert enum is not None
    members = enum._value2member_map_
    optional = type(None) in typing.get_args(union)

    def structure(value: object, _: type) -> Enum | str | None:
        if value is None and optional:
            return None
        if type(value) is not str:
            raise TypeError(f"expected a {enum.__name__} string, got {type(value).__name__}")
        member = members.get(value)
        return member if member is not None else value

    return structure


def _wire_value(value: Enum | str | None) -> str | None:
    return value.value if isinstance(value, Enum) else value


# Fields typed ``SomeWireEnum | str`` (optional or not) take values the enum does not list yet, as the raw string.
converter.register_structure_hook_factory(lambda union: _open_enum(union) is not None, _structure_open_enum)
converter.register_unstructure_hook_func(lambda union: _open_enum(union) is not None, _wire_value)


def decode_problem(error: Exception) -> str:
    """Say in one line why a JSON document did not fit its model (paths, no values)."""
    if isinstance(error, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(error, path="response"))
    return f"{type(error).__name__}: {error}"

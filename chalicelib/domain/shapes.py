"""Request and response shapes, declared once as frozen dataclasses: from one declaration come the
OpenAPI schema (`json_schema`), the JSON an answer sends (`to_json`) and the check of a request body
(`parse`). Standard library only: no dependency, nothing to pay at a cold start.

A shape is a `@dataclass(frozen=True, kw_only=True)` whose fields are typed with `str`, `int`,
`float`, `bool`, `Literal[...]` (an enum), `list[X]`, another shape, or any of these `| None`. What a
type cannot say goes in the field's metadata, written with `spec()`:

    invoice_ids: list[str] = field(metadata=spec(pattern=ids.INVOICE_ID, min=1, max=20, unique=True))

- `pattern`, `format`: of a string (of the items, on a list of strings); the patterns are
  chalicelib/domain/identifiers.py's, checked with `re.match` as the hand checks did, or with
  `re.fullmatch` where `fullmatch` is set (a check written so: `$` then takes no final newline).
- `min`, `max`: the length of a string or a list, the value of a number.
- `unique`: a list repeats no item. `description`, `example`: for the document only.
- `schema`: more of the field's document schema, for a rule a service checks itself with its own
  error codes (the password policy of domain/passwords.py): the document states it, `parse` does not.
- `message`: (English, Vietnamese), the error any failure of this field raises instead of the
  generic one (the messages clients already know stay word for word). `{field}` in it is replaced
  by the field's path (`readings[2].period`). A nested field's own message wins over its parent's.
- `items`: a `spec()` for each item of a list (its own bounds and message).
- `check`: a function of the value once the declared checks pass, for a rule the document cannot
  state (a date that exists, an instant with its offset): it returns the value to keep (it may
  normalise it); a ValueError or TypeError fails the field; an AppError passes as it is.
- `omit_none`: for answers, `to_json` leaves the key out while the value is None (a key present
  only sometimes); the schema does not list it as required or nullable.

`object` is any JSON value, one the shape does not state (the document may, beside it).

A field with no default is required; `X | None` is nullable (OpenAPI 3.0: `nullable: true`).
Response schemas are closed (`additionalProperties: false`); a request is parsed and documented
open by default (`closed=False`: other keys are ignored, as the hand checks did).
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Literal, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from chalicelib.errors import ValidationError

T = TypeVar("T")
_KEYS = frozenset(
    {"pattern", "fullmatch", "format", "min", "max", "unique", "description", "example", "message", "schema"}
)
_KEYS |= {"items", "check", "omit_none"}  # a list's items or a map's values; a rule; answers


def spec(
    *,
    pattern: str | None = None,
    fullmatch: bool = False,
    format: str | None = None,
    min: int | None = None,
    max: int | None = None,
    unique: bool = False,
    description: str | None = None,
    example: object = None,
    message: tuple[str, str] | None = None,
    items: Mapping[str, Any] | None = None,
    check: Callable[[Any], Any] | None = None,
    omit_none: bool = False,
    schema: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A field's metadata: `field(metadata=spec(...))`. Only the keys given are kept."""
    given = {
        "pattern": pattern,
        "fullmatch": fullmatch or None,
        "format": format,
        "min": min,
        "max": max,
        "unique": unique or None,
        "description": description,
        "example": example,
        "message": message,
        "items": items,
        "check": check,
        "omit_none": omit_none or None,
        "schema": schema,
    }
    return {k: v for k, v in given.items() if v is not None}


# -- the types a shape's fields may have ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Type:
    kind: Literal["str", "int", "float", "bool", "enum", "list", "shape", "any"]
    nullable: bool = False
    values: tuple[object, ...] = ()  # enum
    item: _Type | None = None  # list
    shape: type | None = None  # shape


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    type: _Type
    required: bool
    default: object
    meta: Mapping[str, Any]


_SCALARS: dict[object, Literal["str", "int", "float", "bool"]] = {str: "str", int: "int", float: "float", bool: "bool"}


def _type_of(hint: object, where: str) -> _Type:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) != 1 or len(get_args(hint)) != 2:
            raise TypeError(f"{where}: only `X | None` unions are shapes")
        return dataclasses.replace(_type_of(args[0], where), nullable=True)
    if origin is Literal:
        return _Type("enum", values=get_args(hint))
    if origin is list:
        (item,) = get_args(hint)
        return _Type("list", item=_type_of(item, f"{where}[]"))
    if hint is object:
        return _Type("any")
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _Type("shape", shape=hint)
    if hint in _SCALARS:
        return _Type(_SCALARS[hint])
    raise TypeError(f"{where}: {hint!r} is not a type a shape may have")


@cache
def fields_of(cls: type) -> tuple[_Field, ...]:
    """A shape's fields, their types resolved once."""
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        unknown = set(f.metadata) - _KEYS
        if unknown:
            raise TypeError(f"{cls.__name__}.{f.name}: unknown metadata {sorted(unknown)}")
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        default = None if f.default is dataclasses.MISSING else f.default
        out.append(_Field(f.name, _type_of(hints[f.name], f"{cls.__name__}.{f.name}"), required, default, f.metadata))
    return tuple(out)


# -- (a) the OpenAPI schema -------------------------------------------------------------------------

_JSON_TYPE = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def _enum_type(values: tuple[object, ...]) -> str:
    kinds = {_JSON_TYPE[_SCALARS[type(v)]] for v in values}
    if len(kinds) != 1:
        raise TypeError(f"an enum's values are of one type: {values!r}")
    return kinds.pop()


def _schema(t: _Type, meta: Mapping[str, Any], closed: bool) -> dict[str, Any]:
    out: dict[str, Any]
    if t.kind == "any":
        out = {}
    elif t.kind == "list":
        assert t.item is not None
        item_meta = {k: meta[k] for k in ("pattern", "format") if k in meta}
        item_meta.update(meta.get("items", {}))
        out = {"type": "array", "items": _schema(t.item, item_meta, closed)}
        if "min" in meta:
            out["minItems"] = meta["min"]
        if "max" in meta:
            out["maxItems"] = meta["max"]
        if meta.get("unique"):
            out["uniqueItems"] = True
    elif t.kind == "shape":
        assert t.shape is not None
        out = json_schema(t.shape, closed=closed)
    elif t.kind == "enum":
        out = {"type": _enum_type(t.values), "enum": list(t.values)}
    else:
        out = {"type": _JSON_TYPE[t.kind]}
        for key in ("pattern", "format"):
            if key in meta:
                out[key] = meta[key]
        low, high = ("minLength", "maxLength") if t.kind == "str" else ("minimum", "maximum")
        if "min" in meta:
            out[low] = meta["min"]
        if "max" in meta:
            out[high] = meta["max"]
    if t.nullable and not meta.get("omit_none"):
        out["nullable"] = True
        if "enum" in out:
            out["enum"].append(None)
    return out


def json_schema(cls: type, *, closed: bool = True) -> dict[str, Any]:
    """The OpenAPI 3.0 schema of a shape: its properties in declaration order, `required` the fields
    without a default, and (closed) no other property. A new dict each call."""
    props: dict[str, Any] = {}
    for f in fields_of(cls):
        prop = _schema(f.type, f.meta, closed)
        prop.update(f.meta.get("schema", {}))
        for key in ("description", "example"):
            if key in f.meta:
                prop[key] = f.meta[key]
        props[f.name] = prop
    out: dict[str, Any] = {"type": "object"}
    required = [f.name for f in fields_of(cls) if f.required and not f.meta.get("omit_none")]
    if required:
        out["required"] = required
    out["properties"] = props
    if closed:
        out["additionalProperties"] = False
    return out


# -- (b) the JSON an answer sends -------------------------------------------------------------------


def to_json(value: object) -> Any:
    """A shape (and the shapes and lists in it) as plain JSON values, its keys in declaration order."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not (f.metadata.get("omit_none") and getattr(value, f.name) is None)
        }
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


# -- (c) the check of a request body ----------------------------------------------------------------


class _Invalid(Exception):
    """A field failed: `en`/`vi` are a reason to be prefixed with the field, or (`whole`) a message."""

    def __init__(self, path: str, en: str, vi: str, *, whole: bool = False) -> None:
        super().__init__(path)
        self.path, self.en, self.vi, self.whole = path, en, vi, whole


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _matches(meta: Mapping[str, Any], value: str) -> bool:
    regex = _regex(meta["pattern"])
    return bool(regex.fullmatch(value) if meta.get("fullmatch") else regex.match(value))


def _range(meta: Mapping[str, Any], unit_en: str, unit_vi: str) -> tuple[str, str]:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and high is not None:
        return f"{low} to {high} {unit_en}", f"từ {low} đến {high} {unit_vi}"
    if low is not None:
        return f"at least {low} {unit_en}", f"ít nhất {low} {unit_vi}"
    return f"at most {high} {unit_en}", f"nhiều nhất {high} {unit_vi}"


def _out_of(meta: Mapping[str, Any], n: float) -> bool:
    return ("min" in meta and n < meta["min"]) or ("max" in meta and n > meta["max"])


def _value(t: _Type, meta: Mapping[str, Any], value: object, path: str, closed: bool) -> object:
    if "message" in meta or "check" in meta:  # the field's own words and rule, around its declared checks
        declared = {k: v for k, v in meta.items() if k not in ("message", "check")}
        try:
            out = _value(t, declared, value, path, closed)
            if out is None or "check" not in meta:
                return out
            try:
                return meta["check"](out)
            except (ValueError, TypeError):
                raise _Invalid(path, "is not valid", "không hợp lệ") from None
        except _Invalid as e:
            if "message" in meta and not e.whole:
                en, vi = meta["message"]
                raise _Invalid(path, en, vi, whole=True) from None
            raise
    if value is None:
        if t.nullable:
            return None
        raise _Invalid(path, "must not be null", "không được để trống")
    if t.kind == "str":
        if not isinstance(value, str):
            raise _Invalid(path, "must be a string", "phải là chuỗi ký tự")
        if "pattern" in meta and not _matches(meta, value):
            raise _Invalid(path, "is not in the expected format", "không đúng định dạng")
        if _out_of(meta, len(value)):
            en, vi = _range(meta, "characters long", "ký tự")
            raise _Invalid(path, f"must be {en}", f"phải dài {vi}")
        return value
    if t.kind in ("int", "float"):
        # bool is an int to Python, not to JSON; an int is a number, a float is not an integer
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (t.kind == "int" and isinstance(value, float))
            or not math.isfinite(value)  # JSON has no NaN or Infinity (Python's json reads them)
        ):
            raise _Invalid(path, f"must be {'an integer' if t.kind == 'int' else 'a number'}", "phải là số")
        if _out_of(meta, value):
            en, vi = _range(meta, "", "")
            raise _Invalid(path, f"must be {en.strip()}", f"phải {vi.strip()}")
        return value
    if t.kind == "bool":
        if not isinstance(value, bool):
            raise _Invalid(path, "must be true or false", "phải là true hoặc false")
        return value
    if t.kind == "enum":
        if not any(type(value) is type(v) and value == v for v in t.values):
            listed = ", ".join(str(v) for v in t.values)
            raise _Invalid(path, f"must be one of {listed}", f"phải là một trong: {listed}")
        return value
    if t.kind == "list":
        assert t.item is not None
        if not isinstance(value, list):
            raise _Invalid(path, "must be a list", "phải là một danh sách")
        if _out_of(meta, len(value)):
            en, vi = _range(meta, "items", "phần tử")
            raise _Invalid(path, f"must list {en}", f"phải có {vi}")
        item_meta = {k: meta[k] for k in ("pattern", "fullmatch", "format") if k in meta}
        item_meta.update(meta.get("items", {}))
        items = [_value(t.item, item_meta, v, f"{path}[{i}]", closed) for i, v in enumerate(value)]
        if meta.get("unique") and len({repr(v) for v in items}) != len(items):
            raise _Invalid(path, "must not repeat an item", "không được có phần tử trùng nhau")
        return items
    if t.kind == "any":
        return value
    assert t.shape is not None
    return _parse(t.shape, value, path, closed)


def _parse(cls: type, body: object, prefix: str, closed: bool) -> object:
    if not isinstance(body, Mapping):
        raise _Invalid(prefix, "must be an object", "phải là một đối tượng")
    known = fields_of(cls)
    if closed:
        names = {f.name for f in known}
        for key in body:
            if key not in names:
                raise _Invalid(f"{prefix}.{key}" if prefix else str(key), "is not expected", "không được chấp nhận")
    values: dict[str, object] = {}
    for f in known:
        path = f"{prefix}.{f.name}" if prefix else f.name
        try:
            if f.name not in body:
                if f.required:
                    raise _Invalid(path, "is required", "là bắt buộc")
                continue  # the dataclass's default
            values[f.name] = _value(f.type, f.meta, body[f.name], path, closed)
        except _Invalid as e:
            if "message" in f.meta and not e.whole:  # the field's own words, whatever failed in it
                en, vi = f.meta["message"]
                raise _Invalid(path, en, vi, whole=True) from None
            raise
    return cls(**values)


def parse(cls: type[T], body: object, *, closed: bool = False) -> T:
    """The shape `cls` read from a JSON body, every field checked against its declaration; the first
    field that fails raises ValidationError naming it (`items[2].amount` inside lists and shapes).
    `closed`: a key the shape does not declare fails too (otherwise it is ignored)."""
    try:
        return cast(T, _parse(cls, body, "", closed))
    except _Invalid as e:
        if not e.path:  # the body itself
            raise ValidationError(
                "the body must be a JSON object", "Dữ liệu phải là một đối tượng JSON.", code="INVALID_JSON"
            ) from None
        en, vi = (
            (e.en.replace("{field}", e.path), e.vi.replace("{field}", e.path))
            if e.whole
            else (f"{e.path} {e.en}", f"Trường {e.path} {e.vi}.")
        )
        raise ValidationError(en, vi, field=e.path) from None

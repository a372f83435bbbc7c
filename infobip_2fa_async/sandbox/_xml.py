"""XML, which Infobip's OpenAPI file declares beside JSON for every request body and answer (``application/xml``).

Reading turns an XML body into the plain data a JSON body gives, so that the handlers check both alike. XML has no
types, so the fields the service reads as numbers or booleans are converted where they stand (``pinLength``,
``configuration/pinAttempts``...), as Jackson converts by the target field's type; a value that does not convert
stays a string, and the field's own check answers 400 naming it. The root element's name is not checked (Jackson
does not either). DTDs are refused (no entity expansion), and so is nesting deeper than ``MAX_DEPTH``.

Writing follows the spec's XML examples: the root is named after the answer's schema (``ApplicationResponse``), a
list at the top is ``<item>`` elements, a list in a field repeats the field's name inside it (``<verifications>
<verifications>...</verifications></verifications>``), booleans are ``true``/``false``.
"""

from __future__ import annotations

import math
import re
from typing import Any
from xml.parsers import expat
from xml.sax.saxutils import escape

from ._errors import ApiFailure

__all__ = ["MAX_DEPTH", "accepts_xml", "dump", "is_xml", "parse"]

#: The deepest element nesting read; the 2FA bodies nest three levels (regional > indiaDlt > field).
MAX_DEPTH = 32

# Where the typed fields are, from the root: elsewhere (placeholders' values, unknown fields) everything is text.
_TYPES: dict[tuple[str, ...], str] = {
    ("pinLength",): "integer",
    ("emailTemplateId",): "integer",
    ("speechRate",): "number",
    ("enabled",): "boolean",
    ("trackDelivery",): "boolean",
    ("configuration",): "object",
    ("configuration", "pinAttempts"): "integer",
    ("configuration", "allowMultiplePinVerifications"): "boolean",
    ("placeholders",): "object",
    ("landingPagePlaceholders",): "object",
    ("regional",): "object",
    ("regional", "indiaDlt"): "object",
}
_INTEGER = re.compile(r"\s*[+-]?[0-9]{1,19}\s*")
# Characters XML 1.0 cannot carry at all, even escaped; written as U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NAME = re.compile(r"[A-Za-z_][\w.\-]*")
_XML_TYPES = ("application/xml", "text/xml")


def is_xml(content_type: str) -> bool:
    """Whether a Content-Type names XML (``application/xml``, ``text/xml``, ``application/...+xml``)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _XML_TYPES or media.endswith("+xml")


def _quality(accept: str, media: str) -> tuple[float, int]:
    """How much ``accept`` wants ``media``: (q, how specific the range that matched: 2 exact, 1 type/*, 0 */*)."""
    kind = media.split("/", 1)[0]
    best = (0.0, -1)
    for part in accept.split(","):
        name, *params = (piece.strip() for piece in part.split(";"))
        name = name.lower()
        specific = {media: 2, f"{kind}/*": 1, "*/*": 0}.get(name)
        if specific is None:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if not math.isfinite(q):
            q = 0.0
        if specific > best[1]:  # the most specific matching range decides (RFC 9110, 12.5.1)
            best = (q, specific)
    return best[0], best[1]


def accepts_xml(accept: str) -> bool:
    """Whether an answer should be XML: the client prefers XML to JSON (ties go to the more specific range, then to
    JSON, the service's default)."""
    if not accept:
        return False
    xml = max(_quality(accept, media) for media in _XML_TYPES)
    json = _quality(accept, "application/json")
    return xml[0] > 0 and (xml[0] > json[0] or (xml[0] == json[0] and xml[1] > json[1]))


class _Element:
    __slots__ = ("children", "path", "text")

    def __init__(self, path: tuple[str, ...]) -> None:
        self.path = path  # the names from the root's child down to this element; () for the root
        self.children: list[tuple[str, Any]] = []
        self.text: list[str] = []


def _leaf(path: tuple[str, ...], text: str) -> Any:
    kind = _TYPES.get(path)
    if kind == "object" and not text.strip():
        return {}
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    if kind == "boolean" and text.strip() in ("true", "false"):
        return text.strip() == "true"
    return text


def _value(element: _Element) -> Any:
    if not element.children:
        return _leaf(element.path, "".join(element.text))
    value: dict[str, Any] = {}
    for name, child in element.children:
        if name in value and _TYPES.get(element.path) != "object":  # a repeated element is a list...
            earlier = value[name]
            value[name] = [*earlier, child] if isinstance(earlier, list) else [earlier, child]
        else:  # ... except in an object the service reads as a map (placeholders): the last one wins, as in Jackson
            value[name] = child
    return value


def _refuse_dtd(*_: Any) -> None:
    raise ApiFailure(400, "BAD_REQUEST", "The request body must not hold a DTD")


def parse(body: bytes) -> Any:
    """An XML request body as plain data: the root element's content (an empty root is ``{}``).

    Raises:
        ApiFailure: 400 for XML that is not well-formed, holds a DTD, or nests too deep.
    """
    parser = expat.ParserCreate()
    holder = _Element(())
    stack: list[_Element] = [holder]

    def start(name: str, attributes: dict[str, str]) -> None:
        if len(stack) > MAX_DEPTH:
            raise ApiFailure(400, "BAD_REQUEST", f"The request body nests deeper than {MAX_DEPTH} elements")
        parent = stack[-1]
        stack.append(_Element(() if parent is holder else (*parent.path, name)))

    def end(name: str) -> None:
        element = stack.pop()
        stack[-1].children.append((name, _value(element)))

    def text(data: str) -> None:
        stack[-1].text.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    try:
        parser.Parse(body, True)
    except expat.ExpatError:
        raise ApiFailure(400, "BAD_REQUEST", "The request body is not valid XML") from None
    root = holder.children[0][1]
    return {} if root == "" else root


def _name(key: str) -> str:
    return key if _NAME.fullmatch(key) else re.sub(r"[^\w.\-]", "_", f"_{key}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_NOT_XML.sub("\ufffd", str(value)))


def _write(out: list[str], name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, item in value.items():
            _write(out, _name(str(key)), item)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        out.append(f"<{name}>")
        for item in value:
            _write(out, name, item)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{_text(value)}</{name}>")


def dump(root: str, payload: Any) -> bytes:
    """An answer as XML, its root element named ``root``."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f"<{root}>"]
    if isinstance(payload, list):
        for item in payload:
            _write(out, "item", item)
    elif isinstance(payload, dict):
        for key, item in payload.items():
            _write(out, _name(str(key)), item)
    elif payload is not None:
        out.append(_text(payload))
    out.append(f"</{root}>")
    return "".join(out).encode()

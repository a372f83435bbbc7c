"""Sans-I/O pieces of the wire protocol: request bodies to bytes, responses to models or typed errors.

Everything here works on plain data (status code, header mapping, body bytes), so it is tested without
a network and the same whichever backend sent the request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import attrs

from ._backends import RawResponse
from ._converter import converter, decode_problem
from ._exceptions import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    InfobipError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ResponseTooLargeError,
    ServerError,
)
from ._request import ApiRequest

__all__ = [
    "BODY_SNIPPET",
    "decode_response",
    "encode_body",
    "error_from_response",
    "parse_retry_after",
    "read_answer",
]

T = TypeVar("T")

BODY_SNIPPET = 2000  # characters of a non-JSON body kept on the error, enough to recognise an HTML page

_ERROR_CLASSES: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def _compact_json() -> Callable[[object], str]:
    """Compact JSON text of a value, by one encoder made once.

    ``json.dumps`` (and ``JSONEncoder.encode``) builds its C encoder, and a closure, anew on every call; made once here
    (no circular-reference check: bodies are trees the converter built), a body costs the encoding alone. Where the C
    encoder is missing or takes other arguments, the pure-Python one, made once too.
    """
    fallback = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
    make: Any = getattr(json.encoder, "c_make_encoder", None)
    try:
        encoder = make(None, fallback.default, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    except TypeError:  # None, or a signature of another Python
        return fallback.encode

    def encode(value: object) -> str:
        return "".join(encoder(value, 0))

    return encode


_ENCODE = _compact_json()


_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]

# The converter's hook for each model, looked up once (``converter.structure`` dispatches on every call), and
# whether the answer must be a JSON object (an attrs model).
_STRUCTURE: dict[Any, tuple[Callable[[Any, Any], Any], bool]] = {}
_UNSTRUCTURE: dict[Any, Callable[[Any], Any]] = {}


def _parse_json(text: str) -> Any:
    """``json.loads(text)``, without its two whitespace matches and its checks of arguments on a document that starts
    and ends with its value (every answer the API sends); anything else goes through ``json.loads`` itself, which
    skips the whitespace or raises its ``JSONDecodeError``."""
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:  # nothing that starts a value at 0: whitespace first, or not JSON
        return json.loads(text)
    if end != len(text):  # whitespace after the value, or more than one value
        return json.loads(text)
    return value


def encode_body(body: object | None) -> bytes | None:
    """Serialize a body model to compact JSON bytes (None stays None: no body is sent)."""
    if body is None:
        return None
    kind = type(body)
    unstructure = _UNSTRUCTURE.get(kind) or _UNSTRUCTURE.setdefault(kind, converter.get_unstructure_hook(kind))
    return _ENCODE(unstructure(body)).encode()


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Read ``Retry-After`` as seconds or as an HTTP date (relative to ``now``, a UNIX time); None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        return None
    return max(when.timestamp() - now, 0.0)


def _error_details(data: Any) -> tuple[str | None, str | None, dict[str, list[str]]]:
    """messageId, text and validation errors from either Infobip error envelope."""
    if not isinstance(data, dict):
        return None, None, {}
    legacy = data.get("requestError")
    if isinstance(legacy, dict):
        service = legacy.get("serviceException") or legacy.get("policyException") or {}
        if isinstance(service, dict):
            fields: dict[str, list[str]] = {}
            raw = service.get("validationErrors")
            if isinstance(raw, dict):
                for field, messages in raw.items():
                    items = messages if isinstance(messages, list) else [messages]
                    fields[str(field)] = [str(message) for message in items]
            return _text(service.get("messageId")), _text(service.get("text")), fields
    if "errorCode" in data or "description" in data:
        fields = {}
        violations = data.get("violations")
        if isinstance(violations, list):
            for violation in violations:
                if isinstance(violation, dict):
                    field = str(violation.get("property") or violation.get("field") or "")
                    fields.setdefault(field, []).append(str(violation.get("violation") or violation.get("message")))
        return _text(data.get("errorCode")), _text(data.get("description")), fields
    return None, None, {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _json(content: bytes) -> Any:
    """The body as JSON, or None: an error body may be anything (HTML, empty, cut short, absurdly nested)."""
    try:
        return json.loads(content) if content else None
    except (ValueError, RecursionError):
        return None


def error_from_response(
    status_code: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    method: str,
    path: str,
    now: float,
    body_note: str | None = None,
) -> ApiError:
    """The typed error for an HTTP error status, from whatever body came with it (JSON, HTML, nothing).

    ``body_note`` says why the body is not whole (past the size cap, undecodable): it becomes the error's text when
    the body gave none.
    """
    body = content[:BODY_SNIPPET].decode("utf-8", errors="replace")
    message_id, text, validation_errors = (None, None, {}) if body_note else _error_details(_json(content))
    if body_note:
        text = body_note
    lowered = {name.lower(): value for name, value in headers.items()}
    common: dict[str, Any] = {
        "message_id": message_id,
        "text": text,
        "validation_errors": validation_errors,
        "body": body,
        "headers": lowered,
        "method": method,
        "path": path,
    }
    if status_code == 429:
        retry_after = parse_retry_after(lowered.get("retry-after"), now)
        return RateLimitError(status_code, retry_after=retry_after, **common)
    if status_code >= 500:
        return ServerError(status_code, **common)
    return _ERROR_CLASSES.get(status_code, ApiError)(status_code, **common)


def decode_response(request: ApiRequest[T], status_code: int, content: bytes) -> T:
    """Parse a 2xx body into the request's response model, or raise ResponseDecodeError.

    A request that expects no answer (``empty_answer``, e.g. a 204) gets None, whatever the body.
    """
    if request.empty_answer:
        return None  # type: ignore[return-value]
    try:
        # JSON travels as UTF-8 (RFC 8259, 8.1); decoded here, json.loads skips guessing the encoding. Bad UTF-8 is a
        # UnicodeDecodeError, a ValueError: "not JSON" as well.
        data = _parse_json(content.decode("utf-8-sig" if content[:3] == b"\xef\xbb\xbf" else "utf-8"))
    except (ValueError, RecursionError):
        problem = "it is not JSON (or nested too deeply to read)"
    else:
        if request.unwrap is not None and isinstance(data, dict) and request.unwrap in data:
            data = data[request.unwrap]
        kind = request.response_type
        structure, model = _STRUCTURE.get(kind) or _STRUCTURE.setdefault(
            kind, (converter.get_structure_hook(kind), attrs.has(kind))
        )
        if model and not isinstance(data, dict):
            problem = f"expected a JSON object, got {type(data).__name__}"
        else:
            try:
                return structure(data, kind)  # type: ignore[no-any-return]
            except Exception as error:  # cattrs reports every mismatch as some Exception subclass
                problem = decode_problem(error)
    raise ResponseDecodeError(
        f"the answer to {request.method} {request.path} (HTTP {status_code}) is not a valid "
        f"{getattr(request.response_type, '__name__', request.response_type)}: {problem}",
        status_code=status_code,
        body=content[:BODY_SNIPPET].decode("utf-8", errors="replace"),
        method=request.method,
        path=request.path,
    )


def read_answer(request: ApiRequest[T], response: RawResponse, *, now: float) -> T:
    """The model a 2xx answer holds, or the typed error of any other status; ``now`` (UNIX time) reads an HTTP-date
    ``Retry-After``.

    A 2xx whose body was not read whole (past the size cap, an encoding that could not be decoded) is a
    ResponseDecodeError (ResponseTooLargeError past the cap), and so is any failure of ours while decoding one: the
    server answered, so the request was carried out, and the error must say so rather than escape as some other
    exception.
    """
    status, content, problem = response.status, response.content, response.problem
    if not 200 <= status < 300:
        raise error_from_response(status, response.headers, content, method=request.method, path=request.path,
                                  now=now, body_note=None if problem is None else problem.text)  # fmt: skip
    if problem is None:
        try:
            return decode_response(request, status, content)
        except InfobipError:
            raise
        except Exception as error:  # a bug of ours: the server still answered, so the request was carried out
            raise ResponseDecodeError(
                f"the server answered {request.method} {request.path} with HTTP {status} (the request was carried "
                f"out), but its answer could not be read: {type(error).__name__}: {error}",
                **_details(request, status, content),
            ) from error
    where = f"the answer to {request.method} {request.path} (HTTP {status})"
    if problem.cap is not None:
        raise ResponseTooLargeError(f"{where}: {problem.text}", limit=problem.cap, **_details(request, status, content))
    raise ResponseDecodeError(f"{where}: {problem.text}", **_details(request, status, content))


def _details(request: ApiRequest[Any], status: int, content: bytes) -> dict[str, Any]:
    body = content[:BODY_SNIPPET].decode("utf-8", errors="replace")
    return {"status_code": status, "body": body, "method": request.method, "path": request.path}

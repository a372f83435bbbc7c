"""2FA applications: ``GET/POST /2fa/2/applications``, ``GET/PUT /2fa/2/applications/{appId}``."""

from __future__ import annotations

from .._durations import parse_duration, parse_limit
from .._exceptions import InvalidRequestError
from .._management_models import Application, ApplicationBody, ApplicationConfiguration
from .._request import ApiRequest
from .._validation import check_bool, check_int, check_text, path_segment

APPLICATIONS = "/2fa/2/applications"
ROUTE = f"{APPLICATIONS}/{{applicationId}}"


def application_path(application_id: object) -> str:
    """``/2fa/2/applications/{appId}``, the id escaped."""
    return f"{APPLICATIONS}/{path_segment('application_id', application_id)}"


def check_configuration(configuration: object) -> ApplicationConfiguration | None:
    """Check every field of a configuration locally, so a typo in "15m" never reaches the server."""
    if configuration is None:
        return None
    if not isinstance(configuration, ApplicationConfiguration):
        raise InvalidRequestError(
            "configuration", f"must be an ApplicationConfiguration, not {type(configuration).__name__}"
        )
    check_int("configuration.pin_attempts", configuration.pin_attempts, minimum=1)
    check_bool("configuration.allow_multiple_pin_verifications", configuration.allow_multiple_pin_verifications)
    if configuration.pin_time_to_live is not None:
        parse_duration("configuration.pin_time_to_live", configuration.pin_time_to_live)
    for name in ("verify_pin_limit", "send_pin_per_application_limit", "send_pin_per_phone_number_limit"):
        value = getattr(configuration, name)
        if value is not None:
            parse_limit(f"configuration.{name}", value)
    return configuration


def application_body(*, name: object, configuration: object, enabled: object) -> ApplicationBody:
    """Validate and build the create/update body."""
    return ApplicationBody(
        name=check_text("name", name),
        configuration=check_configuration(configuration),
        enabled=check_bool("enabled", enabled),
    )


def list_applications() -> ApiRequest[list[Application]]:
    """Describe listing every application of the account."""
    return ApiRequest("GET", APPLICATIONS, list[Application], operation="list_applications", route=APPLICATIONS)


def create_application(
    *, name: object, configuration: object = None, enabled: object = None
) -> ApiRequest[Application]:
    """Describe creating an application (the API answers 201)."""
    body = application_body(name=name, configuration=configuration, enabled=enabled)
    return ApiRequest("POST", APPLICATIONS, Application, body=body, operation="create_application", route=APPLICATIONS)


def get_application(application_id: object) -> ApiRequest[Application]:
    """Describe reading one application."""
    return ApiRequest("GET", application_path(application_id), Application, operation="get_application", route=ROUTE)


def update_application(
    application_id: object, *, name: object, configuration: object = None, enabled: object = None
) -> ApiRequest[Application]:
    """Describe replacing an application's name, configuration and enabled flag."""
    body = application_body(name=name, configuration=configuration, enabled=enabled)
    return ApiRequest(
        "PUT", application_path(application_id), Application, body=body, operation="update_application", route=ROUTE
    )

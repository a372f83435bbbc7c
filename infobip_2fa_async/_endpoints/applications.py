"""2FA applications: ``GET/POST /2fa/2/applications``, ``GET/PUT /2fa/2/applications/{appId}``."""

from __future__ import annotations

from .._durations import parse_duration, parse_limit
from .._exceptions import InvalidRequestError
from .._management_models import Application, ApplicationBody, ApplicationConfiguration
from .._request import ApiRequest
from .._validation import check_bool, check_int, check_text
from . import Endpoint

LIST_APPLICATIONS = Endpoint("GET", "/2fa/2/applications", list[Application], operation="applications.list")
CREATE_APPLICATION = Endpoint("POST", "/2fa/2/applications", Application, operation="applications.create")
GET_APPLICATION = Endpoint("GET", "/2fa/2/applications/{appId}", Application, operation="applications.get")
UPDATE_APPLICATION = Endpoint("PUT", "/2fa/2/applications/{appId}", Application, operation="applications.update")

_LIMITS = ("verify_pin_limit", "send_pin_per_application_limit", "send_pin_per_phone_number_limit")


def check_configuration(configuration: object) -> ApplicationConfiguration | None:
    """Check every field of a configuration, so that a typo in "15m" never reaches the server.

    ``ApplicationConfiguration`` is also what answers are read into, so it takes any value when built (typed values
    become wire strings then); its fields are checked here, when it is sent.
    """
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
    for name in _LIMITS:
        value = getattr(configuration, name)
        if value is not None:
            parse_limit(f"configuration.{name}", value)
    return configuration


def application_body(*, name: object, configuration: object, enabled: object) -> ApplicationBody:
    """Check the create/update fields and build the body."""
    return ApplicationBody(
        name=check_text("name", name),
        configuration=check_configuration(configuration),
        enabled=check_bool("enabled", enabled),
    )


def list_applications() -> ApiRequest[list[Application]]:
    """Describe listing every application of the account."""
    return LIST_APPLICATIONS.request()


def create_application(
    *, name: object, configuration: object = None, enabled: object = None
) -> ApiRequest[Application]:
    """Describe creating an application (the API answers 201)."""
    return CREATE_APPLICATION.request(body=application_body(name=name, configuration=configuration, enabled=enabled))


def get_application(application_id: object) -> ApiRequest[Application]:
    """Describe reading one application."""
    return GET_APPLICATION.request(application_id=application_id)


def update_application(
    application_id: object, *, name: object, configuration: object = None, enabled: object = None
) -> ApiRequest[Application]:
    """Describe replacing an application's name, configuration and enabled flag."""
    body = application_body(name=name, configuration=configuration, enabled=enabled)
    return UPDATE_APPLICATION.request(body=body, application_id=application_id)

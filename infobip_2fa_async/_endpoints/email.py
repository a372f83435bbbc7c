"""PINs by e-mail: ``POST /2fa/2/pin/email`` and ``POST /2fa/2/pin/{pinId}/resend/email``."""

from __future__ import annotations

from .._models import EmailPinSent, ResendEmailPinBody, SendEmailPinBody
from .._request import ApiRequest
from .._validation import check_email, check_placeholders, check_text
from . import Endpoint

SEND_EMAIL_PIN = Endpoint("POST", "/2fa/2/pin/email", EmailPinSent, operation="send_email_pin")
RESEND_EMAIL_PIN = Endpoint("POST", "/2fa/2/pin/{pinId}/resend/email", EmailPinSent, operation="resend_email_pin")


def send_email_pin(
    *,
    application_id: object,
    message_id: object,
    to: object,
    from_: object = None,
    placeholders: object = None,
    landing_page_placeholders: object = None,
) -> ApiRequest[EmailPinSent]:
    """Describe a PIN send by e-mail; ``to`` is an e-mail address."""
    body = SendEmailPinBody(
        application_id=check_text("application_id", application_id),
        message_id=check_text("message_id", message_id),
        to=check_email("to", to),
        from_=None if from_ is None else check_text("from_", from_),
        placeholders=check_placeholders("placeholders", placeholders),
        landing_page_placeholders=check_placeholders("landing_page_placeholders", landing_page_placeholders),
    )
    return SEND_EMAIL_PIN.request(body=body)


def resend_email_pin(
    pin_id: object, *, placeholders: object = None, landing_page_placeholders: object = None
) -> ApiRequest[EmailPinSent]:
    """Describe a resend of the same PIN by e-mail; no body when there is nothing to fill in."""
    checked = check_placeholders("placeholders", placeholders)
    landing = check_placeholders("landing_page_placeholders", landing_page_placeholders)
    body = None if checked is None and landing is None else ResendEmailPinBody(checked, landing)
    return RESEND_EMAIL_PIN.request(body=body, pin_id=pin_id)

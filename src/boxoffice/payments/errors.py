from __future__ import annotations

from boxoffice.errors import BadRequest, Conflict, InvalidInput, NotFound


class InvalidSignature(BadRequest):
    type_slug = "invalid-signature"
    title = "The payment signature does not verify"


class InvalidWebhook(BadRequest):
    type_slug = "invalid-webhook"
    title = "The webhook body is not a Razorpay event"


class PaymentNotFound(NotFound):
    type_slug = "payment-not-found"
    title = "No payment order with that id"


class NotPayable(Conflict):
    type_slug = "not-payable"
    title = "This booking cannot be paid now"


class ContactRequired(InvalidInput):
    type_slug = "contact-required"
    title = "An email or phone number is required before payment"


class PaymentNotCaptured(Conflict):
    type_slug = "payment-not-captured"
    title = "The provider has not captured this payment"


class PaymentRefunded(Conflict):
    type_slug = "payment-refunded"
    title = "The payment arrived too late and is being refunded"


class RefundNotFound(NotFound):
    type_slug = "refund-not-found"
    title = "No refund with that id"


class RefundNotRetryable(Conflict):
    type_slug = "refund-not-retryable"
    title = "Only a FAILED refund can be retried"


class OrderInProgress(Conflict):
    type_slug = "order-in-progress"
    title = "The payment order for this booking is still being created"

"""Problem types of the accounts domain."""

from __future__ import annotations

from boxoffice.errors import BadRequest, Forbidden


class WrongPassword(Forbidden):
    """A password change whose `current_password` is not the account's."""

    type_slug = "wrong-password"
    title = "The current password is wrong"


class InvalidResetToken(BadRequest):
    """A password reset token that was used, ran out, or was never issued."""

    type_slug = "invalid-reset-token"
    title = "The password reset link is not valid"

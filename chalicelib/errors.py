"""Domain errors. The web layer maps each class to an HTTP status and page in one table."""

from __future__ import annotations


class LinkhubError(Exception):
    """Base of every error linkhub raises on purpose."""

    public_message = "Something went wrong."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.public_message)
        self.message = message or self.public_message


class InvalidInput(LinkhubError):
    """The request's data is malformed or breaks a rule; the message says which."""

    public_message = "The request is not valid."

    def __init__(self, message: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(LinkhubError):
    """The thing does not exist, or belongs to another tenant."""

    public_message = "Not found."


class AlreadyExists(LinkhubError):
    """A create lost to an existing record with the same key."""

    public_message = "That already exists."


class LastSecurityAdmin(InvalidInput):
    """The change would leave a partner company without an active Security Admin."""

    public_message = "The company's last active Security Admin must stay active."


class StorageRejected(InvalidInput):
    """DynamoDB refused a request as malformed (a key over its size limit, an empty key)."""

    public_message = "A value in the request is malformed or too long."

    def __init__(self, reason: str = "") -> None:
        super().__init__()
        self.reason = reason  # DynamoDB's own message, for the log; never shown


class ConcurrentChange(LinkhubError):
    """A conditional write lost to a concurrent change; retry with fresh data."""

    public_message = "Someone else changed this at the same time. Reload and try again."


class NotAuthenticated(LinkhubError):
    """No valid session or credentials."""

    public_message = "Please log in."
    login_query = ""  # what the login page is told (the redirect adds it to its query)


class SessionEnded(NotAuthenticated):
    """The session was ended for its user (deprovisioning, deactivation); they log in again."""

    public_message = "Your session was ended. Please log in again."
    login_query = "ended=1"


class Forbidden(LinkhubError):
    """Authenticated, but this actor may not do this."""

    public_message = "You do not have permission to do that."


class CsrfRejected(LinkhubError):
    """A state-changing form arrived without a valid CSRF token."""

    public_message = "Your form expired. Reload the page and try again."


class LoginFailed(LinkhubError):
    """Credentials were wrong, or the account cannot log in; deliberately unspecific."""

    public_message = "The company name, username or password is incorrect."


class TooManyRequests(LinkhubError):
    """A rate limit or lock is in force until `retry_after` seconds from now."""

    public_message = "Too many requests. Try again later."

    def __init__(self, message: str | None = None, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OAuthError(LinkhubError):
    """An OAuth/OIDC protocol error with its RFC 6749 error code."""

    public_message = "The sign-in request is not valid."

    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(description or error)
        self.error = error
        self.description = description
        self.status = status


class UpstreamError(LinkhubError):
    """A remote service (the SaaS Protection API, the hub) failed or was unreachable."""

    public_message = "A connected service did not answer correctly."


class StorageUnavailable(LinkhubError):
    """DynamoDB could not be reached."""

    public_message = "The service is temporarily unavailable."


class GatewayTimeout(LinkhubError):
    """The answer took too long to make (the REST API's vendor-realism 504 on large seat lists)."""

    public_message = "The request timed out."

"""Domain errors. Each carries the HTTP status and a stable code; the edges turn them into
`{"error": {"code", "message"}}` responses or a CLI message on stderr."""

from __future__ import annotations


class KBError(Exception):
    """Base of every error kb raises on purpose."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(KBError):
    status = 422
    code = "invalid_input"


class DocumentFormatError(InvalidInput):
    """A file or record cannot be read as a kb document (names the file and the problem)."""

    code = "invalid_document"


class NotFound(KBError):
    status = 404
    code = "not_found"


class Conflict(KBError):
    status = 409
    code = "conflict"


class IdTaken(Conflict):
    """A new document's id is in use. The message is the same whatever the document holding
    it is (visible, confidential, archived or deleted): it says the id is used, nothing more."""

    code = "id_taken"

    @classmethod
    def of(cls, source_id: str) -> IdTaken:
        return cls(
            f"id '{source_id}' is already taken; choose another id, or leave 'id' out to get "
            "a generated one (to change a document you can see, use PUT /documents/{id})"
        )


class VersionConflict(Conflict):
    code = "version_conflict"

    def __init__(self, message: str, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


class Unauthorized(KBError):
    status = 401
    code = "unauthorized"


class Forbidden(KBError):
    status = 403
    code = "forbidden"


class PayloadTooLarge(KBError):
    status = 413
    code = "payload_too_large"


class IndexMismatch(KBError):
    """A persisted search index does not match the configured model or the store."""

    status = 409
    code = "index_mismatch"


class ConfigurationError(KBError):
    status = 500
    code = "configuration_error"


class TooManyAttempts(KBError):
    """Too many failed sign-ins for a name or from an address; try again later."""

    status = 429
    code = "too_many_attempts"


class NotReady(KBError):
    """The search indexes of this replica are still loading."""

    status = 503
    code = "not_ready"

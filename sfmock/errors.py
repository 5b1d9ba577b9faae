"""Salesforce errors: one exception per errorCode, each rendered in Salesforce's wire shape."""

from __future__ import annotations


class SalesforceError(Exception):
    """An error the API answers with `[{"message", "errorCode", "fields"}]`."""

    status = 400
    error_code = "UNKNOWN_EXCEPTION"

    def __init__(self, message: str, fields: list[str] | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields
        if status is not None:
            self.status = status

    def body(self) -> list[dict]:
        item: dict = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]

    def collection_error(self) -> dict:
        """The per-record error shape of sObject Collections and composite results."""
        return {"statusCode": self.error_code, "message": self.message, "fields": self.fields or []}


def _error(name: str, code: str, status: int = 400) -> type[SalesforceError]:
    return type(name, (SalesforceError,), {"error_code": code, "status": status})


InvalidSessionId = _error("InvalidSessionId", "INVALID_SESSION_ID", 401)
NotFound = _error("NotFound", "NOT_FOUND", 404)
MalformedId = _error("MalformedId", "MALFORMED_ID")
InvalidField = _error("InvalidField", "INVALID_FIELD")
InvalidFieldForInsertUpdate = _error("InvalidFieldForInsertUpdate", "INVALID_FIELD_FOR_INSERT_UPDATE")
InvalidType = _error("InvalidType", "INVALID_TYPE")
MalformedQuery = _error("MalformedQuery", "MALFORMED_QUERY")
MalformedSearch = _error("MalformedSearch", "MALFORMED_SEARCH")
InvalidSearch = _error("InvalidSearch", "INVALID_SEARCH")
JsonParserError = _error("JsonParserError", "JSON_PARSER_ERROR")
RequiredFieldMissing = _error("RequiredFieldMissing", "REQUIRED_FIELD_MISSING")
StringTooLong = _error("StringTooLong", "STRING_TOO_LONG")
InvalidEmailAddress = _error("InvalidEmailAddress", "INVALID_EMAIL_ADDRESS")
InvalidTypeOnFieldInRecord = _error("InvalidTypeOnFieldInRecord", "INVALID_TYPE_ON_FIELD_IN_RECORD")
InvalidCrossReferenceKey = _error("InvalidCrossReferenceKey", "INVALID_CROSS_REFERENCE_KEY")
FieldIntegrityException = _error("FieldIntegrityException", "FIELD_INTEGRITY_EXCEPTION")
InactiveOwnerOrUser = _error("InactiveOwnerOrUser", "INACTIVE_OWNER_OR_USER")
EntityIsDeleted = _error("EntityIsDeleted", "ENTITY_IS_DELETED", 404)
DuplicateValue = _error("DuplicateValue", "DUPLICATE_VALUE")
CannotUpdateConvertedLead = _error("CannotUpdateConvertedLead", "CANNOT_UPDATE_CONVERTED_LEAD")
FieldCustomValidationException = _error(
    "FieldCustomValidationException", "FIELD_CUSTOM_VALIDATION_EXCEPTION"
)
UnableToLockRow = _error("UnableToLockRow", "UNABLE_TO_LOCK_ROW")
RequestLimitExceeded = _error("RequestLimitExceeded", "REQUEST_LIMIT_EXCEEDED", 403)
MethodNotAllowed = _error("MethodNotAllowed", "METHOD_NOT_ALLOWED", 405)
UnsupportedMediaType = _error("UnsupportedMediaType", "UnsupportedMediaType", 415)
InvalidQueryLocator = _error("InvalidQueryLocator", "INVALID_QUERY_LOCATOR")
InvalidReplicationDate = _error("InvalidReplicationDate", "INVALID_REPLICATION_DATE")
ExceededIdLimit = _error("ExceededIdLimit", "EXCEEDED_ID_LIMIT")
ServerUnavailable = _error("ServerUnavailable", "SERVER_UNAVAILABLE", 503)
UnknownException = _error("UnknownException", "UNKNOWN_EXCEPTION", 500)
InvalidOperation = _error("InvalidOperation", "INVALIDJOBSTATE")
InvalidJob = _error("InvalidJob", "INVALIDJOB")
BulkApiError = _error("BulkApiError", "BULK_API_ERROR")
ApiError = _error("ApiError", "API_ERROR")
MissingArgument = _error("MissingArgument", "MISSING_ARGUMENT")
DuplicateExternalId = _error("DuplicateExternalId", "DUPLICATE_EXTERNAL_ID")
ExceededMaxTypesLimit = _error("ExceededMaxTypesLimit", "EXCEEDED_MAX_TYPES_LIMIT")
ProcessingHalted = _error("ProcessingHalted", "PROCESSING_HALTED")
InvalidBatchRequest = _error("InvalidBatchRequest", "INVALID_BATCH_REQUEST")
InvalidQueryFilterOperator = _error("InvalidQueryFilterOperator", "INVALID_QUERY_FILTER_OPERATOR")
NumberOutsideValidRange = _error("NumberOutsideValidRange", "NUMBER_OUTSIDE_VALID_RANGE")
InvalidStatus = _error("InvalidStatus", "INVALID_STATUS")
UnsupportedApiVersion = _error("UnsupportedApiVersion", "UNSUPPORTED_API_VERSION", 500)
InsufficientAccessOrReadonly = _error("InsufficientAccessOrReadonly",
                                      "INSUFFICIENT_ACCESS_OR_READONLY")
# A session whose user lacks "API Enabled" (or an org without API access), 403 as recorded.
ApiDisabledForOrg = _error("ApiDisabledForOrg", "API_DISABLED_FOR_ORG", 403)
QueryTimeout = _error("QueryTimeout", "QUERY_TIMEOUT")


class DuplicatesDetected(SalesforceError):
    """A duplicate rule refused the save: the error carries the rule's `duplicateResult`.

    REST answers `[{"duplicateResult": {...}, "errorCode", "message"}]`, in that key order and
    without `fields` (recorded in client fixtures, see tests/parity/snapshots/duplicates_detected.json).
    A record's error in sObject Collections and Composite results is the usual
    `{"statusCode", "message", "fields": []}` (the REST guide's Composite allOrNone example).
    """

    error_code = "DUPLICATES_DETECTED"

    def __init__(self, message: str, duplicate_result: dict):
        super().__init__(message, [])
        self.duplicate_result = duplicate_result

    def body(self) -> list[dict]:
        return [{"duplicateResult": self.duplicate_result, "errorCode": self.error_code,
                 "message": self.message}]


class LoginError(Exception):
    """A failed login: SOAP faults and OAuth errors are rendered by the auth routes."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class OAuthError(Exception):
    """An OAuth token endpoint error: `{"error", "error_description"}`, HTTP 400 by default."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class AsyncApiError(Exception):
    """A Bulk API 1.0 error: `{"exceptionCode", "exceptionMessage"}` or its XML `<error>`.

    Codes (api_asynch "Errors"): ClientInputError, ExceededQuota, InvalidBatch, InvalidEntity,
    InvalidJob, InvalidJobState, InvalidOperation, InvalidSessionId, InvalidUrl, InvalidXML,
    TooManyLockFailure, Unknown. Bulk API 1.0 answers HTTP 400 even for an invalid session.
    """

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

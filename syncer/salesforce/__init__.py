"""The syncer's one road to Salesforce: a simple-salesforce client with typed errors, and IDs."""

from .client import (
    COLLECTION_LIMIT,
    TRANSIENT_CODES,
    LimitError,
    LoginError,
    PermanentError,
    SalesforceClient,
    SalesforceError,
    SessionError,
    TransientError,
    api_error,
    result_error,
)

__all__ = ["COLLECTION_LIMIT", "TRANSIENT_CODES", "LimitError", "LoginError", "PermanentError",
           "SalesforceClient", "SalesforceError", "SessionError", "TransientError", "api_error",
           "result_error"]

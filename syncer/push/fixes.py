"""What the admin does about a push Salesforce refused for good, and which refusals are which."""

from __future__ import annotations

from ..store import EMAIL_OPT_OUT_FIELD

GONE_CODES = frozenset({"ENTITY_IS_DELETED", "NOT_FOUND", "INVALID_CROSS_REFERENCE_KEY",
                        "INVALID_ID_FIELD"})
CONVERTED_CODE = "CANNOT_UPDATE_CONVERTED_LEAD"
RETRY_FAILED = "then run `syncer push --retry-failed`"


def fix_for(code: str, message: str, field_name: str, sobject: str | None) -> str:
    """What the admin does about a record Salesforce refused for good."""
    where = f"{field_name} on {sobject}"
    if code == "INVALID_FIELD":
        if field_name == EMAIL_OPT_OUT_FIELD:
            return (f"grant the integration user read and edit access (field-level security)"
                    f" to Email Opt Out ({where}), {RETRY_FAILED}")
        return ("install the Marketo Sales Connect package or switch the field to Email Opt"
                " Out (`syncer settings --field email-opt-out`; or set the field's real API"
                f" name with --marketo-field-api-name), {RETRY_FAILED}")
    if code == "INVALID_FIELD_FOR_INSERT_UPDATE":
        return (f"grant the integration user edit access (field-level security) to {where},"
                f" {RETRY_FAILED}")
    if code == "FIELD_CUSTOM_VALIDATION_EXCEPTION":
        return (f"a validation rule on {sobject} refused the change: correct the record or the"
                f" rule in Salesforce, {RETRY_FAILED}")
    if code == "DUPLICATES_DETECTED":
        return (f"a duplicate rule on {sobject} blocks saving a record that has duplicates:"
                " merge the duplicate records in Salesforce, or set the rule's Action On Edit"
                f" to Allow, {RETRY_FAILED}")
    if code.startswith("INSUFFICIENT_ACCESS"):  # _OR_READONLY, _ON_CROSS_REFERENCE_ENTITY
        return (f"share the record with the integration user (it may read but not edit it),"
                f" {RETRY_FAILED}")
    return f"correct the record in Salesforce, {RETRY_FAILED}"

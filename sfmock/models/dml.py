"""One record of a bulk load (Bulk API 1.0 and 2.0) written through the org's own code.

Both Bulk APIs turn each record into an `Org.insert/update/upsert/delete` call, so record
rules, validation, field-level security and locks apply exactly as they do for REST; this
module holds what the two share: which call an operation makes and the errors Salesforce
answers for a record it cannot write.
"""

from __future__ import annotations

from .. import errors
from .org import Org

OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")


def write_record(org: Org, type_name: str, operation: str, data: dict, record_id: str | None,
                 *, external_id_field: str | None, user_id: str) -> tuple[str, bool]:
    """Apply `operation` to one record: (its 18-char Id, whether it was created).

    `data` holds the record's fields without `Id`; `record_id` is the Id it names, if any.
    """
    if operation == "insert":
        if record_id:
            raise errors.InvalidFieldForInsertUpdate("cannot specify Id in an insert call",
                                                     ["Id"])
        return org.insert(type_name, data, user_id=user_id), True
    if operation == "upsert":
        ext = external_id_field or "Id"
        value = record_id if ext == "Id" else data.pop(ext, None)
        if not value:
            if ext == "Id":
                return org.insert(type_name, data, user_id=user_id), True
            raise errors.MissingArgument(f"{ext} not specified", [ext])
        result = org.upsert(type_name, ext, str(value), data, user_id=user_id)
        if result.get("matches"):
            found = ", ".join(r["Id"] for r in result["matches"])
            raise errors.DuplicateExternalId(
                f"{ext}: more than one record found for external id field: [{found}]", [ext])
        return result["id"], result["created"]
    if not record_id:
        call = "an update" if operation == "update" else "a delete"
        raise errors.MissingArgument(f"Id not specified in {call} call", [])
    if operation == "update":
        return org.update(type_name, record_id, data, user_id=user_id), False
    deleted = org.delete(type_name, record_id)
    if operation == "hardDelete":  # not kept in the recycle bin
        org.db[org.sobject(type_name).name].delete(deleted)
    return deleted, False

"""`syncer doctor --write-test`: write each synced field's current value back to one linked
Contact and one linked Lead, through the same sObject Collections call the pusher makes.

No value changes (the records' LastModifiedDate does), yet everything that would refuse a
real push answers now, before the first unsubscribe: a validation rule, an Apex trigger,
field-level security, sharing. Each refusal comes with its fix.
"""

from __future__ import annotations

from .doctor import FAIL, PASS, TYPES, WARN, Check, fields_to_check
from .salesforce import SalesforceClient, SalesforceError
from .salesforce.client import result_error
from .store import Person, Store


def write_test(store: Store, client: SalesforceClient) -> list[Check]:
    """One check per type: the write-back to one linked record of that type."""
    fields = fields_to_check(store.get_settings())
    return [_write_back(client, sobject, _linked(store, sobject), fields) for sobject in TYPES]


def _linked(store: Store, sobject: str) -> Person | None:
    """The first person linked to a live record of this type."""
    return next((p for p in store.iter_people()
                 if p.salesforce_type == sobject and p.salesforce_id and p.sf_state is None),
                None)


def _write_back(client: SalesforceClient, sobject: str, person: Person | None,
                fields: list[str]) -> Check:
    name = f"{sobject} write test"
    if person is None:
        return Check(name, WARN, f"no person is linked to a {sobject}, so none was tried",
                     "syncer people link (or import Salesforce IDs), then run it again")
    record_id = person.salesforce_id
    try:
        [record] = client.retrieve(sobject, [record_id], fields)
        if record is None:
            return Check(name, FAIL, f"{sobject} {record_id} ({person.email}) is gone",
                         "run `syncer nightly` (it follows merges and deletions), or link"
                         " another record")
        values = {f: record.get(f) for f in fields}
        [result] = client.collections_update(
            [{"attributes": {"type": sobject}, "id": record_id, **values}])
    except SalesforceError as problem:
        return Check(name, FAIL, problem.what, problem.fix)
    code, message = result_error(result)
    shown = ", ".join(f"{f} = {str(v).lower()}" for f, v in values.items())
    if code is None:
        return Check(name, PASS, f"wrote {shown} back to {sobject} {record_id}"
                     f" ({person.email}), unchanged: pushes can write it")
    return Check(name, FAIL, f"{sobject} {record_id} ({person.email}) refused {shown}"
                 f" ({code}: {message})", refusal_fix(code, sobject, fields))


def refusal_fix(code: str, sobject: str, fields: list[str]) -> str:
    """What the Salesforce admin changes so that the integration user's pushes go through."""
    names = " and ".join(fields)
    if code == "FIELD_CUSTOM_VALIDATION_EXCEPTION":
        return (f"a validation rule on {sobject} refuses the integration user's updates:"
                f" Setup > Object Manager > {sobject} > Validation Rules, make the rule skip"
                " the integration user (e.g. add `$User.Username <> '<its username>'` to the"
                " formula) or fix the records it catches")
    if code in ("INVALID_FIELD_FOR_INSERT_UPDATE", "INVALID_FIELD"):
        return (f"grant the integration user edit access (field-level security) to {names}"
                f" on {sobject}: Setup > Object Manager > {sobject} > Fields, Set Field-Level"
                " Security")
    if code == "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY":
        return (f"an Apex trigger (or flow) on {sobject} refuses the update: have it allow"
                " updates of the opt-out fields by the integration user")
    if code.startswith("INSUFFICIENT_ACCESS"):
        return (f"the integration user may not edit this {sobject}: give it Edit on"
                f" {sobject}s in its profile or a permission set and access to the records"
                " (sharing rules, its role, or Modify All)")
    if code in ("ENTITY_IS_LOCKED", "UNABLE_TO_LOCK_ROW"):
        return "the record is locked (an approval process or another update): run it again"
    return "correct the record or the org's setup in Salesforce as the message says"

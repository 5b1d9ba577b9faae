"""Loading an org from plain fixture files: org.json plus accounts/contacts/leads CSVs."""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

from ..errors import SalesforceError
from .behaviours import KINDS
from .custom_objects import SchemaSpecError
from .org import Org
from .schema import Field

DEFAULT_FIXTURES = Path(str(resources.files("sfmock") / "default_org"))


class FixtureError(Exception):
    """A fixture file that cannot be loaded; the message names the file and the fix."""


def _bool(text: str) -> bool:
    return text.strip().lower() in ("true", "1", "yes")


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def load_fixtures(org: Org, directory: str | Path = DEFAULT_FIXTURES) -> None:
    """Load users, connected apps, custom fields, packages and records into `org`."""
    directory = Path(directory)
    manifest = directory / "org.json"
    try:
        spec = json.loads(manifest.read_text())
    except FileNotFoundError:
        raise FixtureError(f"{manifest} not found: point --fixtures at a folder with org.json") from None
    except json.JSONDecodeError as exc:
        raise FixtureError(f"{manifest} is not valid JSON (line {exc.lineno}): fix it") from None
    try:
        _load(org, directory, spec)
    except SchemaSpecError as exc:
        raise FixtureError(f"{manifest}: {exc}") from None
    except SalesforceError as exc:  # a record the org's schema refuses (a loaded --schema)
        raise FixtureError(f"{directory}: a fixture record does not fit the org's schema "
                           f"({exc.message}): load fixtures that match it, or none") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise FixtureError(f"{directory}: bad fixture data ({exc}): compare with the defaults") from None


def reset_org(org: Org, directory: str | Path | None = DEFAULT_FIXTURES) -> dict[str, int]:
    """Empty the org in place and load the fixtures in `directory` (none when None), as one
    step: the number of live records of each type afterwards."""
    with org.lock:
        org.reset()
        if directory is not None:
            load_fixtures(org, directory)
        return {name: org.count(name) for name in org.types}


def _load(org: Org, directory: Path, spec: dict) -> None:
    org.meta["name"] = spec.get("name", org.meta["name"])
    org.set_api_limit(int(spec.get("api_daily_limit", org.api.max)))
    for user in spec.get("users", []):
        org.add_user(user["username"], user["password"], user["security_token"],
                     first_name=user.get("first_name", ""), last_name=user.get("last_name", "User"),
                     email=user.get("email"), time_zone=user.get("time_zone", "America/Los_Angeles"))
    for app in spec.get("connected_apps", []):
        certificate = None
        if app.get("certificate_file"):
            certificate = (directory / app["certificate_file"]).read_text()
        org.add_connected_app(app["client_id"], app["client_secret"], certificate=certificate,
                              run_as=app.get("run_as"), name=app.get("name", "connected app"))
    for obj in spec.get("custom_objects", []):
        org.add_custom_object(obj)
    for type_name, fields in spec.get("custom_fields", {}).items():
        for f in fields:
            org.add_custom_field(type_name, Field(
                f["name"], f["label"], f.get("type", "string"), f.get("length", 0), custom=True,
                external_id=f.get("external_id", False), unique=f.get("unique", False),
            ))
    for name in spec.get("packages", []):
        org.install_package(name)
    _load_behaviours(org, spec)
    if spec.get("change_data_capture"):
        from .cdc import cdc

        cdc(org).select(spec["change_data_capture"])
    accounts = {}
    for row in _rows(directory / "accounts.csv"):
        accounts[row["Name"]] = org.insert("Account", row, check=False)
    contacts_by_email = {}
    for row in _rows(directory / "contacts.csv"):
        data = _record(row, skip=("Account",))
        if row.get("Account"):
            data["AccountId"] = accounts[row["Account"]]
        contacts_by_email[row["Email"].lower()] = org.insert("Contact", data, check=False)
    for row in _rows(directory / "leads.csv"):
        lead_id = org.insert("Lead", _record(row, skip=("ConvertToContactEmail",)), check=False)
        target = (row.get("ConvertToContactEmail") or "").lower()
        if target:
            org.convert_lead(lead_id, contact_id=contacts_by_email[target])


def _record(row: dict, skip: tuple[str, ...]) -> dict:
    data = {}
    for key, value in row.items():
        if key in skip or value in (None, ""):
            continue
        data[key] = _bool(value) if key in ("HasOptedOutOfEmail", "DoNotCall", "HasOptedOutOfFax") else value
    return data


def _load_behaviours(org: Org, spec: dict) -> None:
    """Field security, validation rules and the switchable behaviours org.json names."""
    for entry in spec.get("field_security", []):
        sobject = org.sobject(entry["type"])
        f = sobject.field(entry["field"])
        if f is None:
            raise ValueError(f"no field {entry['field']} on {sobject.name} for field_security")
        org.field_security.set(sobject.name, f.name, entry["access"])
    for rule in spec.get("validation_rules", []):
        org.rules.add_validation(rule["type"], rule["name"], rule["condition"], rule["message"],
                                 rule.get("errorField"))
    behaviours = {kind: spec[kind] for kind in KINDS if kind in spec}
    if behaviours:
        org.behaviours.add(behaviours)

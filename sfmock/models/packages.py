"""Installable packages: what each adds to the org's schema."""

from __future__ import annotations

from dataclasses import dataclass

from .. import errors
from .schema import Field, custom_field


@dataclass(frozen=True)
class Package:
    name: str
    label: str
    namespace: str
    version: str
    fields: dict[str, tuple[Field, ...]]


# The API name of "Marketo Sales Opt Out" is not publicly documented; the Sales Connect
# customization uses the ToutApp__ namespace.
MARKETO_OPT_OUT = custom_field("ToutApp__MSE_Opt_Out__c", "Marketo Sales Opt Out", "boolean")

PACKAGES = {
    "marketo-sales-connect": Package(
        name="marketo-sales-connect",
        label="Marketo Sales Connect Customizations",
        namespace="ToutApp",
        version="2.14",
        fields={"Contact": (MARKETO_OPT_OUT,), "Lead": (MARKETO_OPT_OUT,)},
    ),
}


def get_package(name: str) -> Package:
    try:
        return PACKAGES[name]
    except KeyError:
        known = ", ".join(sorted(PACKAGES))
        raise errors.NotFound(f"Unknown package '{name}'; available packages: {known}") from None

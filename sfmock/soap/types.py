"""The Partner WSDL's complex types, written once: the WSDL is generated from these tables and
every result is serialised through them, so a response never holds an element the WSDL lacks.

Each element is `"name type flags"`: flags `?` (minOccurs 0), `*` (0..unbounded), `+`
(1..unbounded), `~` (nillable). Types `tns:` are in urn:partner.soap.sforce.com, `ens:` in
urn:sobject.partner.soap.sforce.com. The sequences follow Salesforce's Partner WSDL.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Element:
    name: str
    type: str
    optional: bool = False
    many: bool = False
    nillable: bool = False
    required_many: bool = False


def parse_element(spec: str) -> Element:
    """An element from its one-line spec (see the module docstring)."""
    name, type_, *rest = spec.split()
    flags = rest[0] if rest else ""
    return Element(name, type_, optional="?" in flags or "*" in flags,
                   many="*" in flags or "+" in flags, nillable="~" in flags,
                   required_many="+" in flags)


def _type(*specs: str) -> list[Element]:
    return [parse_element(s) for s in specs]


ERROR = _type("fields xsd:string *~", "message xsd:string", "statusCode tns:StatusCode")

TYPES: dict[str, list[Element]] = {
    "QueryResult": _type("done xsd:boolean", "queryLocator tns:QueryLocator ~",
                         "records ens:sObject *~", "size xsd:int"),
    "GetServerTimestampResult": _type("timestamp xsd:dateTime"),
    "GetUserInfoResult": _type(
        "accessibilityMode xsd:boolean", "chatterExternal xsd:boolean",
        "currencySymbol xsd:string ~", "orgAttachmentFileSizeLimit xsd:int",
        "orgDefaultCurrencyIsoCode xsd:string ~", "orgDefaultCurrencyLocale xsd:string ~",
        "orgDisallowHtmlAttachments xsd:boolean", "orgHasPersonAccounts xsd:boolean",
        "organizationId tns:ID", "organizationMultiCurrency xsd:boolean",
        "organizationName xsd:string", "profileId tns:ID", "roleId tns:ID ~",
        "sessionSecondsValid xsd:int", "userDefaultCurrencyIsoCode xsd:string ~",
        "userEmail xsd:string", "userFullName xsd:string", "userId tns:ID",
        "userLanguage xsd:string", "userLocale xsd:string", "userName xsd:string",
        "userTimeZone xsd:string", "userType xsd:string", "userUiSkin xsd:string"),
    "LoginResult": _type(
        "metadataServerUrl xsd:string ~", "passwordExpired xsd:boolean", "sandbox xsd:boolean",
        "serverUrl xsd:string ~", "sessionId xsd:string ~", "userId tns:ID ~",
        "userInfo tns:GetUserInfoResult ?"),
    "Error": ERROR,
    "SaveResult": _type("errors tns:Error *", "id tns:ID ~", "success xsd:boolean"),
    "UpsertResult": _type("created xsd:boolean", "errors tns:Error *", "id tns:ID ~",
                          "success xsd:boolean"),
    "DeleteResult": _type("errors tns:Error *~", "id tns:ID ~", "success xsd:boolean"),
    "MergeRequest": _type("masterRecord ens:sObject", "recordToMergeIds tns:ID +"),
    "MergeResult": _type("errors tns:Error *", "id tns:ID ~", "mergedRecordIds tns:ID *",
                         "success xsd:boolean", "updatedRelatedIds tns:ID *"),
    "LeadConvert": _type(
        "accountId tns:ID ~", "contactId tns:ID ~", "convertedStatus xsd:string",
        "doNotCreateOpportunity xsd:boolean", "leadId tns:ID", "opportunityName xsd:string ~",
        "overwriteLeadSource xsd:boolean", "ownerId tns:ID ~", "sendNotificationEmail xsd:boolean"),
    "LeadConvertResult": _type("accountId tns:ID ~", "contactId tns:ID ~", "errors tns:Error *",
                               "leadId tns:ID ~", "opportunityId tns:ID ~", "success xsd:boolean"),
    "DescribeGlobalResult": _type("encoding xsd:string ~", "maxBatchSize xsd:int",
                                  "sobjects tns:DescribeGlobalSObjectResult *"),
    "DescribeGlobalSObjectResult": _type(
        "activateable xsd:boolean", "createable xsd:boolean", "custom xsd:boolean",
        "customSetting xsd:boolean", "deletable xsd:boolean", "deprecatedAndHidden xsd:boolean",
        "feedEnabled xsd:boolean", "hasSubtypes xsd:boolean", "idEnabled xsd:boolean",
        "isSubtype xsd:boolean", "keyPrefix xsd:string ~", "label xsd:string",
        "labelPlural xsd:string", "layoutable xsd:boolean", "mergeable xsd:boolean",
        "mruEnabled xsd:boolean", "name xsd:string", "queryable xsd:boolean",
        "replicateable xsd:boolean", "retrieveable xsd:boolean", "searchable xsd:boolean",
        "triggerable xsd:boolean", "undeletable xsd:boolean", "updateable xsd:boolean"),
    "DescribeSObjectResult": _type(
        "actionOverrides tns:ActionOverride *~", "activateable xsd:boolean",
        "childRelationships tns:ChildRelationship *", "compactLayoutable xsd:boolean",
        "createable xsd:boolean", "custom xsd:boolean", "customSetting xsd:boolean",
        "deletable xsd:boolean", "deprecatedAndHidden xsd:boolean", "feedEnabled xsd:boolean",
        "fields tns:Field *~", "hasSubtypes xsd:boolean", "idEnabled xsd:boolean",
        "isSubtype xsd:boolean", "keyPrefix xsd:string ~", "label xsd:string",
        "labelPlural xsd:string", "layoutable xsd:boolean", "mergeable xsd:boolean",
        "mruEnabled xsd:boolean", "name xsd:string", "namedLayoutInfos tns:NamedLayoutInfo *",
        "networkScopeFieldName xsd:string ~", "queryable xsd:boolean",
        "recordTypeInfos tns:RecordTypeInfo *", "replicateable xsd:boolean",
        "retrieveable xsd:boolean", "searchLayoutable xsd:boolean ?", "searchable xsd:boolean",
        "supportedScopes tns:ScopeInfo *~", "triggerable xsd:boolean ?",
        "undeletable xsd:boolean", "updateable xsd:boolean", "urlDetail xsd:string ~",
        "urlEdit xsd:string ~", "urlNew xsd:string ~"),
    "ActionOverride": _type("formFactor xsd:string", "isAvailableInTouch xsd:boolean",
                            "name xsd:string", "pageId tns:ID", "url xsd:string ~"),
    "ChildRelationship": _type(
        "cascadeDelete xsd:boolean", "childSObject xsd:string", "deprecatedAndHidden xsd:boolean",
        "field xsd:string", "relationshipName xsd:string ?", "restrictedDelete xsd:boolean ?"),
    "NamedLayoutInfo": _type("name xsd:string"),
    "RecordTypeInfo": _type(
        "active xsd:boolean", "available xsd:boolean", "defaultRecordTypeMapping xsd:boolean",
        "developerName xsd:string", "master xsd:boolean", "name xsd:string",
        "recordTypeId tns:ID ~"),
    "ScopeInfo": _type("label xsd:string", "name xsd:string"),
    "PicklistEntry": _type("active xsd:boolean", "defaultValue xsd:boolean",
                           "label xsd:string ~", "validFor xsd:base64Binary ?",
                           "value xsd:string"),
    "Field": _type(
        "aggregatable xsd:boolean", "autoNumber xsd:boolean", "byteLength xsd:int",
        "calculated xsd:boolean", "calculatedFormula xsd:string ?", "cascadeDelete xsd:boolean ?",
        "caseSensitive xsd:boolean", "compoundFieldName xsd:string ?",
        "controllerName xsd:string ?", "createable xsd:boolean", "custom xsd:boolean",
        "defaultValue xsd:anyType ?", "defaultValueFormula xsd:string ?",
        "defaultedOnCreate xsd:boolean", "dependentPicklist xsd:boolean ?",
        "deprecatedAndHidden xsd:boolean", "digits xsd:int",
        "displayLocationInDecimal xsd:boolean ?", "encrypted xsd:boolean ?",
        "externalId xsd:boolean ?", "extraTypeInfo xsd:string ?", "filterable xsd:boolean",
        "groupable xsd:boolean", "highScaleNumber xsd:boolean ?", "htmlFormatted xsd:boolean ?",
        "idLookup xsd:boolean", "inlineHelpText xsd:string ?", "label xsd:string",
        "length xsd:int", "mask xsd:string ?", "maskType xsd:string ?", "name xsd:string",
        "nameField xsd:boolean", "namePointing xsd:boolean ?", "nillable xsd:boolean",
        "permissionable xsd:boolean", "picklistValues tns:PicklistEntry *~", "precision xsd:int",
        "queryByDistance xsd:boolean", "referenceTargetField xsd:string ?",
        "referenceTo xsd:string *~", "relationshipName xsd:string ?",
        "relationshipOrder xsd:int ?", "restrictedDelete xsd:boolean ?",
        "restrictedPicklist xsd:boolean", "scale xsd:int", "soapType tns:soapType",
        "sortable xsd:boolean ?", "type tns:fieldType", "unique xsd:boolean",
        "updateable xsd:boolean", "writeRequiresMasterRead xsd:boolean ?"),
    "LimitInfo": _type("current xsd:int", "limit xsd:int", "type xsd:string"),
}


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _any_type(value: object) -> str:
    """The xsi:type of an xsd:anyType value, as Salesforce tags them."""
    if isinstance(value, bool):
        return "xsd:boolean"
    if isinstance(value, int):
        return "xsd:int"
    if isinstance(value, float):
        return "xsd:double"
    return "xsd:string"


def render(type_name: str, data: dict) -> str:
    """The child elements of a `type_name` value holding `data`, in the WSDL's order."""
    out = []
    for el in TYPES[type_name]:
        value = data.get(el.name)
        items = (value or []) if el.many else [value]
        for item in items:
            if item is None:
                if el.many or el.optional:
                    continue
                out.append(f'<{el.name} xsi:nil="true"/>')
            elif el.type.startswith("tns:") and el.type[4:] in TYPES:
                out.append(f"<{el.name}>{render(el.type[4:], item)}</{el.name}>")
            elif el.type == "xsd:anyType":
                out.append(f'<{el.name} xsi:type="{_any_type(item)}">{_scalar(item)}</{el.name}>')
            else:
                out.append(f"<{el.name}>{_scalar(item)}</{el.name}>")
    return "".join(out)

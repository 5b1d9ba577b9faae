"""SOQL errors as Salesforce words them: the caret layout and the error codes the query API uses."""

from __future__ import annotations

from .. import errors

WSDL_HINT = "Please reference your WSDL or the describe call for the appropriate names."


def row_column(soql: str, pos: int) -> tuple[int, int]:
    """1-based row and column of character offset `pos` in `soql`."""
    row = soql.count("\n", 0, pos) + 1
    line_start = soql.rfind("\n", 0, pos) + 1
    return row, pos - line_start + 1


def caret(soql: str, pos: int, text: str) -> str:
    """Salesforce's layout: the line in error, a caret under the spot, its row and column, text."""
    row, column = row_column(soql, pos)
    line = soql.split("\n")[row - 1].rstrip("\r")
    return f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{text}"


def malformed(soql: str, pos: int, text: str) -> errors.SalesforceError:
    return errors.MalformedQuery(caret(soql, pos, text))


def unexpected(soql: str, pos: int, token: str | None) -> errors.SalesforceError:
    """MALFORMED_QUERY for a token the grammar does not allow there (None: end of query)."""
    shown = "<EOF>" if token is None else token
    return malformed(soql, pos, f"unexpected token: '{shown}'")


def no_such_column(soql: str, pos: int, name: str, entity: str) -> errors.SalesforceError:
    return errors.InvalidField(caret(soql, pos, (
        f"No such column '{name}' on entity '{entity}'. If you are attempting to use a custom "
        f"field, be sure to append the '__c' after the custom field name. {WSDL_HINT}"
    )))


def bad_relationship(soql: str, pos: int, name: str) -> errors.SalesforceError:
    return errors.InvalidField(caret(soql, pos, (
        f"Didn't understand relationship '{name}' in field path. If you are attempting to use a "
        f"custom relationship, be sure to append the '__r' after the custom relationship name. "
        f"{WSDL_HINT}"
    )))


def unsupported_type(soql: str, pos: int, name: str) -> errors.SalesforceError:
    return errors.InvalidType(caret(soql, pos, (
        f"sObject type '{name}' is not supported. If you are attempting to use a custom object, "
        f"be sure to append the '__c' after the entity name. {WSDL_HINT}"
    )))


def filter_type(soql: str, pos: int, field: str, sf_type: str) -> errors.SalesforceError:
    """A value of the wrong kind for its field, e.g. `HasOptedOutOfEmail = 'true'`."""
    quoted = "should be enclosed in quotes" if sf_type == "string" else (
        "should not be enclosed in quotes")
    return errors.InvalidQueryFilterOperator(caret(soql, pos, (
        f"value of filter criterion for field '{field}' must be of type {sf_type} and {quoted}"
    )))

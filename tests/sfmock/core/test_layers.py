"""The API and Setup layers only translate HTTP into model calls: no SQL, locks or transactions."""

import ast
from pathlib import Path

import pytest

SFMOCK = Path(__file__).resolve().parents[3] / "sfmock"
STORAGE = {"db", "conn", "atomic", "execute"}  # the org's SQLite database and its transactions


def storage_uses(path: Path) -> list[str]:
    """`line: name` for each use of the org's database, of a SQLite module, or of a lock held."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in STORAGE:
            found.append(f"{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.With):
            found += [f"{node.lineno}: with .{item.context_expr.attr}" for item in node.items
                      if isinstance(item.context_expr, ast.Attribute)]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            found += [f"{node.lineno}: import {n}" for n in names if n.startswith("sqlite")]
    return found


@pytest.mark.parametrize("path", sorted([*SFMOCK.glob("api/*.py"), *SFMOCK.glob("setup/*.py")]),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_routes_leave_storage_to_the_models(path):
    assert storage_uses(path) == []


def test_a_route_running_sql_is_caught(tmp_path):
    route = tmp_path / "route.py"
    route.write_text("def recent(org):\n"
                     "    with org.lock:\n"
                     "        return org.db.execute('SELECT Id FROM Contact').fetchall()\n")
    assert storage_uses(route) == ["2: with .lock", "3: .execute", "3: .db"]

"""No import circles: each package's modules import one another in one direction only.

Every import counts, at module level, inside functions and under TYPE_CHECKING, since each
is a dependency a reader has to follow.
"""

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def import_graph(package: Path) -> dict[str, set[str]]:
    """{module: the package's modules it imports} for every module under `package`."""
    modules: dict[str, tuple[Path, bool]] = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = here[:len(here) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                for alias in node.names:  # `from . import x` imports the module x
                    submodule = f"{module}.{alias.name}"
                    imported.add(submodule if submodule in modules else module)
        graph[name] = {m for m in imported if m in modules and m != name}
    return graph


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return exc.args[1]
    return None


@pytest.mark.parametrize("package", ["sfmock", "syncer"])
def test_the_package_has_no_import_circles(package):
    graph = import_graph(ROOT / package)
    assert len(graph) > 10  # the package was found and read
    cycle = cycle_in(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_a_circle_through_a_type_checking_import_is_found(tmp_path):
    package = tmp_path / "pkg"
    (package / "models").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "models" / "__init__.py").write_text("")
    (package / "models" / "org.py").write_text("from .layouts import Layouts\n")
    (package / "models" / "layouts.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .org import Org\n")
    (package / "app.py").write_text("from .models import org\n")
    cycle = cycle_in(import_graph(package))
    assert cycle is not None and set(cycle) == {"pkg.models.org", "pkg.models.layouts"}


def test_a_package_importing_its_own_modules_back_is_a_circle(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("bp = object()\nfrom . import pages\n")
    (package / "pages.py").write_text("from . import bp\n")
    assert set(cycle_in(import_graph(package)) or []) == {"pkg", "pkg.pages"}

"""The package's import graph: no cycle (imports inside functions count too), and the core never imports
the UI above it."""

import ast
import graphlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "emotion"


def imports() -> dict[str, set[str]]:
    modules = {".".join(f.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): f
               for f in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                found |= {next((c for c in (f"{base}.{a.name}", base) if c in modules), None) for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in modules}
        graph[name] = found - {None, name, "emotion"}  # the package's face re-exports; it is not a cycle
    return graph


def test_no_import_cycle():
    graphlib.TopologicalSorter(imports()).prepare()  # raises CycleError naming the cycle


def test_the_core_never_imports_the_ui():
    upward = {(m, d) for m, deps in imports().items() if not m.startswith("emotion.ui") for d in deps
              if d.startswith("emotion.ui")}
    assert not upward

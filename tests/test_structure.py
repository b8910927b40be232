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


# The wings stand in this order: each imports the floor and the wings below it, never one above
# (docs/layout.md). The commands' shared options (cli) name the backends, so they stand with serve.
RANK = {"floor": 0, "profiles": 1, "serve": 2, "emotion.cli": 2, "analysis": 3, "train": 4, "ui": 5}


def rank(module: str) -> int:
    parts = module.split(".")
    if module in RANK:
        return RANK[module]
    return RANK[parts[1]] if len(parts) > 1 and parts[1] in RANK else RANK["floor"]


def test_wings_import_only_downward():
    upward = sorted(f"{m} -> {d}" for m, deps in imports().items() if m != "emotion" for d in deps if rank(d) > rank(m))
    assert not upward, upward


ROOT = PACKAGE.parent
SCRIPTS = [*PACKAGE.rglob("*.py"), *ROOT.glob("*.py"), *(ROOT / "bench").glob("*.py"), *(ROOT / "scripts").glob("*.py")]


def literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string constant in ``path`` but dictionary keys (data's names, e.g. a package's
    version under "torch") and docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    keys = {id(k) for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys if k is not None}
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and id(node) not in keys and id(node) not in docs]


def test_the_reference_backend_is_named_by_the_registry_alone():
    """Torch is the reference by a flag on its registry entry (``backends.REFERENCE``), never by a string compare."""
    backends = PACKAGE / "serve" / "backends.py"
    found = [f"{path.relative_to(ROOT)}:{line}" for path in SCRIPTS if path != backends
             for line, text in literals(path) if text == "torch"]
    assert not found, f"spell the reference backend as backends.REFERENCE: {found}"


# Written elsewhere on purpose: the behavioural suite's own template file shares probe.json's name, and
# scripts/verify_checkpoint.py re-checks a checkpoint's figures without the project's code.
NOT_A_SIDE_FILE = {("emotion/analysis/probe.py", "probe.json")}
INDEPENDENT = {"scripts/verify_checkpoint.py"}


def test_only_the_checkpoint_spells_its_files_names():
    """A checkpoint's side files (config, thresholds, metrics, stored probabilities, ...) are named in
    emotion/checkpoint.py alone: other modules ask a Checkpoint (or checkpoint.holds_tuned_model and the like)."""
    from emotion import checkpoint as c

    names = {c.CONFIG, *c.WEIGHTS, c.THRESHOLDS, c.THRESHOLD_TUNING, c.METRICS, c.PER_CLASS, c.RESULTS,
             c.TRAINING_CONFIG, c.TRAINING_LOG, c.INFERENCE, *c.AUDIT.values(), c.DISTILLATION, c.PROBE, c.ROBUSTNESS,
             c.EXPERIMENTS, c.ENSEMBLE, *(c.probabilities_file(split) for split in ("dev", "test"))}
    owner = PACKAGE / "checkpoint.py"
    found = [f"{path.relative_to(ROOT)}:{line} {text!r}" for path in SCRIPTS if path != owner
             and path.relative_to(ROOT).as_posix() not in INDEPENDENT for line, text in literals(path)
             if (text in names or text.rsplit("/", 1)[-1] in names)
             and (path.relative_to(ROOT).as_posix(), text) not in NOT_A_SIDE_FILE]
    assert not found, f"ask emotion/checkpoint.py for these files: {found}"

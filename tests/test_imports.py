"""The import contract of the house, checked by import-linter (docs/architecture.md, "The map").

* Layers: the doors (CLI, server) -> the app and routes -> the control API -> the gateway -> tenants
  -> the families -> the common code. Nothing imports upward. The folders ``doors``, ``http``, ``core``,
  ``spec`` and ``faults`` only group modules (they import nothing): each module in them is checked as what
  it is (``http.app`` a door, ``http.rendering`` common code).
* Inside the common code: the Family type (``core/family.py``, naming what each hook takes) -> scripting (the
  stepper) -> scenario (plain data and its loading: the model, the step language, text matches, YAML,
  the schema, the builder) -> compat -> clock. ``scenario`` imports nothing of ``scripting``.
* The common code (state, scenario, scripting, compat, rendering ...) imports no family; the one seam
  is :mod:`fakeopenai.core.registry`, which reads the list of families when it runs (its annotations name the
  Family and TenantState types it hands out, and ``scenario.schema`` names Family the same way).
* Imports under ``if TYPE_CHECKING:`` count: a type a module names is a dependency too.
* Compat profiles are a leaf: no family, scenario code, scripting, state or rendering.
* No family imports another.
* In every family the engine (every module but ``api``, ``render``, ``events``) imports no HTTP and no
  rendering: not the family's handlers or renderers, not Starlette, not the common rendering helpers, not
  the faults that play on the wire (``faults.answer``, ``faults.stream``).

The contracts are made here from :data:`fakeopenai.families.FAMILIES`, so a new family is checked
without an edit; each test below also breaks the contract on purpose and sees it fail.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

from fakeopenai.core.registry import families

ROOT = Path(__file__).resolve().parent.parent
HTTP_SIDE = ("api", "render", "events")   # a family's modules that may speak HTTP and render
# The folders that only group modules (docs/architecture.md, "The map"): their modules are checked one by one.
GROUPS = ("fakeopenai.doors", "fakeopenai.http", "fakeopenai.core", "fakeopenai.spec", "fakeopenai.faults")
DOORS = ("fakeopenai.doors.cli", "fakeopenai.doors.server", "fakeopenai.http.app", "fakeopenai.doors.transport",
         "fakeopenai.http.routes", "fakeopenai.http.control", "fakeopenai.gateway", "fakeopenai.core.tenants")
# What a family's engine may not import: HTTP, rendering, and the faults that play on the wire.
HTTP_COMMON = ["fakeopenai.http.rendering", "fakeopenai.http.params", "fakeopenai.http.streaming",
               "fakeopenai.faults.answer", "fakeopenai.faults.stream"]
# The seam, and the package's public names (fakeopenai/__init__.py loads them when first used).
SEAM = ["fakeopenai.core.registry -> fakeopenai.families", "fakeopenai.core.registry -> fakeopenai.core.family",
        "fakeopenai.core.registry -> fakeopenai.core.state", "fakeopenai.scenario.schema -> fakeopenai.core.family",
        "fakeopenai -> fakeopenai.http.app", "fakeopenai -> fakeopenai.doors.server",
        "fakeopenai -> fakeopenai.scenario.loader"]
# The common code's own layers, top to bottom.
COMMON_LAYERS = ["fakeopenai.core.family", "fakeopenai.scripting", "fakeopenai.scenario", "fakeopenai.core.compat",
                 "fakeopenai.core.clock"]


def family_packages() -> list[str]:
    return [f"fakeopenai.families.{family.name}" for family in families()]


def submodules(package: str) -> list[str]:
    return [f"{package}.{m.name}" for m in pkgutil.iter_modules(import_module(package).__path__)]


def common_modules() -> list[str]:
    """Every module or package of fakeopenai (a grouping folder's, one by one) that is neither a door nor the
    families."""
    names = [n for top in submodules("fakeopenai") for n in (submodules(top) if top in GROUPS else [top])]
    return sorted(n for n in names if n not in DOORS and n not in ("fakeopenai.families", "fakeopenai.__main__"))


def engine_modules(family: str) -> list[str]:
    package = import_module(family)
    return [f"{family}.{m.name}" for m in pkgutil.iter_modules(package.__path__) if m.name not in HTTP_SIDE]


def contracts() -> str:
    """The import-linter configuration (INI) for the registered families."""
    lines = ["[importlinter]", "root_package = fakeopenai", "include_external_packages = True",
             "exclude_type_checking_imports = False", ""]

    def contract(key: str, **options: str | list[str]) -> None:
        lines.append(f"[importlinter:contract:{key}]")
        for key, value in options.items():
            lines.append(f"{key} = " + (value if isinstance(value, str) else "".join(f"\n    {v}" for v in value)))
        lines.append("")

    contract("layers", name="Doors -> gateway -> families -> common code; nothing imports upward", type="layers",
             layers=["fakeopenai.doors.cli", "fakeopenai.doors.server",
                     "fakeopenai.http.app | fakeopenai.doors.transport", "fakeopenai.http.routes",
                     "fakeopenai.http.control", "fakeopenai.gateway", "fakeopenai.core.tenants", "fakeopenai.families"],
             ignore_imports=SEAM)
    contract("common-layers", name="Common code: family -> scripting -> scenario -> compat -> clock",
             type="layers", layers=COMMON_LAYERS, ignore_imports=SEAM)
    contract("common", name="The common code imports no family and no door (the registry is the one seam)",
             type="forbidden", source_modules=common_modules(), forbidden_modules=[*DOORS, "fakeopenai.families"],
             ignore_imports=SEAM)
    contract("compat-leaf", name="Compat profiles are a leaf", type="forbidden",
             source_modules="fakeopenai.core.compat",
             forbidden_modules=["fakeopenai.families", "fakeopenai.scenario", "fakeopenai.scripting",
                                "fakeopenai.core.state", "fakeopenai.http.rendering", "fakeopenai.core.registry"],
             ignore_imports=SEAM)
    if len(family_packages()) > 1:
        contract("independent-families", name="No family imports another", type="independence",
                 modules=family_packages(), ignore_imports=SEAM)
    for family in family_packages():
        http = [f"{family}.{name}" for name in HTTP_SIDE if _exists(f"{family}.{name}")]
        contract(f"engine-{family.rsplit('.', 1)[1]}", name=f"{family}: the engine imports no HTTP and no rendering",
                 type="forbidden", source_modules=engine_modules(family),
                 forbidden_modules=[*http, "starlette", *HTTP_COMMON], ignore_imports=SEAM)
    return "\n".join(lines)


def _exists(module: str) -> bool:
    try:
        import_module(module)
    except ModuleNotFoundError:
        return False
    return True


def lint(tmp_path: Path, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "contracts.ini"
    config.write_text(contracts())
    return subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                           "sys.exit(lint_imports_command())", str(config), "--no-cache"],
                          cwd=root, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_the_import_contract_holds(tmp_path: Path) -> None:
    result = lint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    contracts_made = contracts().count("[importlinter:contract:")
    assert f"{contracts_made} kept, 0 broken." in result.stdout, result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("fakeopenai/families/assistants/runs.py", "from fakeopenai.families.assistants import render",
     "assistants: the engine imports no HTTP"),
    ("fakeopenai/families/batches/batches.py", "import starlette.responses", "batches: the engine imports no HTTP"),
    ("fakeopenai/families/batches/files.py", "from fakeopenai.families.assistants import world",
     "No family imports another"),
    ("fakeopenai/core/compat/profiles.py", "from fakeopenai.scenario import model", "Compat profiles are a leaf"),
    ("fakeopenai/scripting/stepper.py", "from fakeopenai.families.batches import batches",
     "The common code imports no family"),
    ("fakeopenai/core/tenants.py", "from fakeopenai import gateway", "nothing imports upward"),
    ("fakeopenai/scenario/build.py", "from fakeopenai.scripting import stepper", "scripting -> scenario"),
    ("fakeopenai/scenario/model.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    "
     "from fakeopenai.scripting.stepper import Cursor", "scripting -> scenario"),
    ("fakeopenai/families/chat/completions.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    "
     "import starlette.requests", "chat: the engine imports no HTTP"),
    ("fakeopenai/spec/openapi.py", "from fakeopenai.http import routes", "The common code imports no family"),
    ("fakeopenai/families/batches/batches.py", "from fakeopenai.faults import stream",
     "batches: the engine imports no HTTP"),
])
def test_a_broken_contract_fails(tmp_path: Path, module: str, line: str, contract: str) -> None:
    """A copy of the package with one forbidden import added: the same check fails, naming the contract."""
    import shutil

    copy = tmp_path / "tree"
    shutil.copytree(ROOT / "fakeopenai", copy / "fakeopenai", ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = lint(tmp_path, copy)
    assert result.returncode != 0, result.stdout
    assert " 0 broken." not in result.stdout, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken, result.stdout


def test_the_grouping_folders_only_group() -> None:
    """``fakeopenai/doors/__init__.py`` and the like import nothing: the contracts check a group's modules one by
    one, so an import in the folder itself (a door pulled into ``core``) would go unchecked."""
    import ast

    for group in GROUPS:
        tree = ast.parse(Path(str(import_module(group).__file__)).read_text())
        imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
                   and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")]
        assert imports == [], f"{group} imports {[ast.unparse(node) for node in imports]}"

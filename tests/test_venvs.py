"""tests/venvs.py: a child venv made from inside a virtualenv sees that virtualenv's packages.

The parent here is a bare virtualenv (not the interpreter running the suite) holding modules that
exist nowhere else, the way a contributor's ``.venv`` holds the project and its dependencies.
With ``--system-site-packages`` the child would see the base interpreter's packages instead, and
none of these imports would work.
"""

from __future__ import annotations

import json
import subprocess
import venv
from pathlib import Path

from tests import venvs

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
import only_in_parent, from_parent_pth, shadowed
print(json.dumps({"only_in_parent": only_in_parent.__file__, "from_parent_pth": from_parent_pth.__file__,
                  "shadowed": shadowed.WHERE, "path": sys.path, "prefix": sys.prefix}))
"""


def test_child_venv_sees_the_parent_virtualenv_and_its_own_packages_first(tmp_path: Path) -> None:
    parent, child, extra = tmp_path / "parent", tmp_path / "child", tmp_path / "editable-src"
    venv.create(parent, with_pip=False)  # isolated: it does not see the interpreter running this test
    parent_site = venvs.site_packages(parent)
    (parent_site / "only_in_parent.py").write_text("")
    (parent_site / "shadowed.py").write_text("WHERE = 'parent'\n")
    # What an editable install leaves: a .pth in the parent's site-packages naming a source folder.
    extra.mkdir()
    (extra / "from_parent_pth.py").write_text("")
    (parent_site / "editable.pth").write_text(f"{extra}\n")

    made = subprocess.run([str(venvs.python(parent)), "-m", "tests.venvs", str(child), "--without-pip"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    child_site = venvs.site_packages(child)
    (child_site / "shadowed.py").write_text("WHERE = 'child'\n")

    probe = subprocess.run([str(venvs.python(child)), "-c", PROBE], cwd=tmp_path, capture_output=True, text=True,
                           timeout=60)
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout)
    assert Path(seen["prefix"]).resolve() == child.resolve()
    assert Path(seen["only_in_parent"]).parent.resolve() == parent_site.resolve()
    assert Path(seen["from_parent_pth"]).parent.resolve() == extra.resolve()
    assert seen["shadowed"] == "child", "the parent's module shadows the child's own"
    path = [Path(p).resolve() for p in seen["path"] if p]
    assert path.index(child_site.resolve()) < path.index(parent_site.resolve())


def test_link_is_rewritten_for_an_existing_venv(tmp_path: Path) -> None:
    """Running the helper again on a venv keeps it and points it at the Python running now."""
    venv.create(tmp_path / "env", with_pip=False)
    stale = venvs.site_packages(tmp_path / "env") / venvs.PTH_NAME
    stale.write_text("import site; site.addsitedir('/nowhere')\n")
    venvs.create(tmp_path / "env", with_pip=False)
    lines = stale.read_text().splitlines()
    assert lines == [f"import site; site.addsitedir({d!r})" for d in venvs.parent_site_dirs()]
    assert lines and "/nowhere" not in stale.read_text()

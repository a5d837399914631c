"""Child virtualenvs that see the packages of the Python that makes them.

``python -m venv --system-site-packages`` (and ``venv.create(..., system_site_packages=True)``)
inherits the *base* interpreter's site-packages. Run from CI's system Python that is the
environment the project is installed in; run from a contributor's virtualenv it is not (the
project and its dependencies are in the virtualenv), and the child cannot import them.

:func:`create` makes an isolated venv and writes one ``.pth`` file into its site-packages
that adds every site-packages folder of the *running* interpreter with ``site.addsitedir``
(so their own ``.pth`` files, such as an editable install's, are processed too). They come
after the child's own site-packages on ``sys.path``: what is installed in the child
(openai 1.109.1 in ``.venv-sdk1``) shadows the parent's version.

    python -m tests.venvs DIR [--without-pip]   # create DIR (or refresh its link to this Python)

Used by ``.ci/run`` (``.venv-sdk1``), ``python -m benchmarks --setup`` (``.venv-bench``) and
tests/test_cli.py (the wheel test). Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import os
import site
import sys
import sysconfig
import venv
from pathlib import Path

PTH_NAME = "_parent_site_packages.pth"


def parent_site_dirs() -> list[str]:
    """The running interpreter's site-packages folders (a virtualenv's own, or the system's), in order."""
    dirs = list(site.getsitepackages())
    user = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user and user in sys.path:
        dirs.append(user)
    return [d for d in dict.fromkeys(os.path.abspath(d) for d in dirs) if os.path.isdir(d)]


def site_packages(env_dir: Path) -> Path:
    """The child's own site-packages (the same scheme ``venv`` uses to make it)."""
    base = str(Path(env_dir).absolute())
    return Path(sysconfig.get_path("purelib", scheme="venv", vars={"base": base, "platbase": base}))


def python(env_dir: Path) -> Path:
    for candidate in (Path(env_dir) / "bin" / "python", Path(env_dir) / "Scripts" / "python.exe"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no python in {env_dir}")


def link_parent(env_dir: Path) -> Path:
    """(Re)write the child's ``.pth`` naming the running interpreter's site-packages; returns its path."""
    target = site_packages(env_dir)
    target.mkdir(parents=True, exist_ok=True)
    lines = [f"import site; site.addsitedir({d!r})" for d in parent_site_dirs()]
    pth = target / PTH_NAME
    pth.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return pth


def create(env_dir: Path, *, with_pip: bool = True) -> Path:
    """An isolated venv at ``env_dir`` (kept if it exists) that also sees this interpreter's packages.

    Returns the child's python. Without pip, ``python -m pip`` in the child runs the parent's pip
    (found through the parent's site-packages), which installs into the child."""
    env_dir = Path(env_dir)
    if not (env_dir / "pyvenv.cfg").exists():
        venv.create(env_dir, system_site_packages=False, with_pip=with_pip, symlinks=os.name != "nt")
    link_parent(env_dir)
    return python(env_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env_dir", type=Path)
    parser.add_argument("--without-pip", action="store_true", help="do not install pip into the venv")
    args = parser.parse_args(argv)
    child = create(args.env_dir, with_pip=not args.without_pip)
    print(f"{child}: its own site-packages, then {', '.join(parent_site_dirs())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

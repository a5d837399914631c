"""Only what pyproject.toml cannot say: the package list, found (so a new family's folder ships
without an edit here) plus the built-in scenarios, which live at the repository root."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["fakeopenai", "fakeopenai.*"]), "fakeopenai.scenarios"])

"""The scenario JSON Schema, assembled: the common keys (``core.schema.json``) plus each
registered family's fragment (its top-level keys, its keys under ``objects:``, its ``$defs``).

``scenario.schema.json`` beside this module is the assembled schema as shipped for editors
(``fakeopenai schema --path``); ``python scripts/build_docs.py`` rewrites it and a test fails
when it is stale. The loader validates with :func:`assembled`, so a family registered at run
time (a test's) is validated too.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakeopenai.core.family import Family  # what the registry hands out (the seam, tests/test_imports.py)


def assembled() -> dict[str, Any]:
    from fakeopenai.core.registry import families

    return _assemble(families())


@lru_cache(maxsize=4)
def _assemble(family_list: tuple[Family, ...]) -> dict[str, Any]:
    from fakeopenai.core.compat.profiles import PROFILE_NAMES

    schema = json.loads(resources.files("fakeopenai.scenario").joinpath("core.schema.json").read_text("utf-8"))
    core = schema["properties"]
    faults = core.pop("faults")
    core["compat"] = {"enum": list(PROFILE_NAMES), **core["compat"]}
    objects = core["objects"]["properties"]
    for family in family_list:
        if family.scenario_schema is None:
            continue
        fragment = family.scenario_schema()
        for section, target in (("properties", core), ("objects", objects), ("$defs", schema["$defs"])):
            for key, value in fragment.get(section, {}).items():
                if key in target:
                    raise ValueError(f"family {family.name!r}: scenario key {section}.{key} is already taken")
                target[key] = value
    core["faults"] = faults
    return schema

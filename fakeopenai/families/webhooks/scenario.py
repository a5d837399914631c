"""The webhooks part of the scenario format: ``webhooks: [{url, secret, events}]``, each a :class:`Target`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.core.family import Built, package_json
from fakeopenai.families.webhooks.targets import Target, secret_problem, url_problem

if TYPE_CHECKING:
    from fakeopenai.scenario.build import Builder

NAME = "webhooks"


def schema() -> dict[str, Any]:
    return package_json(__package__, "scenario.schema.json")


def build(builder: Builder, data: dict[str, Any]) -> Built:
    targets = []
    for index, item in enumerate(data.get(NAME) or []):
        path = (NAME, index)
        for key, problem in (("url", url_problem(item.get("url"))), ("secret", secret_problem(item.get("secret")))):
            if problem:
                builder.error(path + (key,), problem)
        line, column = builder.positions.of(path + ("url",))
        events = item.get("events")
        targets.append(Target(name=f"{NAME}[{index}]", secret=item.get("secret", ""), url=item.get("url"),
                              events=frozenset(events) if events else None, line=line, column=column,
                              duplicate=bool(item.get("duplicate")), bad_signature=bool(item.get("bad_signature")),
                              delay_ms=int(item.get("delay_ms", 0))))
    return Built(part=tuple(targets)) if targets else Built()

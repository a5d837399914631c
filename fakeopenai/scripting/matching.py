"""Moved: :mod:`fakeopenai.scenario.matching` (what a scenario's match keys mean is scenario data, and
``scenario`` imports nothing of ``scripting``). The families still import it by this name until the
package is regrouped (issue 25)."""

from fakeopenai.scenario.matching import (
    TextMatch,
    clip,
    differs,
    instructions_differ,
    json_subset,
    last_message_differs,
    metadata_differs,
    tools_lack,
)

__all__ = ["TextMatch", "clip", "differs", "instructions_differ", "json_subset", "last_message_differs",
           "metadata_differs", "tools_lack"]

"""The scenario as plain data (:mod:`~fakeopenai.scenario.model`, the step language in
:mod:`~fakeopenai.scenario.conversation`, text matches in :mod:`~fakeopenai.scenario.matching`) and its
loading: YAML with positions, the JSON Schema of the format, the builder families read their keys with.
It imports nothing of ``scripting`` or ``state``; it reaches the families only through the registry."""

"""What moves a scripted object (a run, a batch, a background response) along its script one read at a
time: the stepper (:mod:`fakeopenai.scripting.stepper`). It reads the scenario's model, never the other
way round: the step language and text matching are scenario data (:mod:`fakeopenai.scenario.conversation`,
:mod:`fakeopenai.scenario.matching`; ``conversation`` and ``matching`` here name them until the families'
imports move)."""

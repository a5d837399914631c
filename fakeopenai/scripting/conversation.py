"""Moved: :mod:`fakeopenai.scenario.conversation` (the step language is scenario data and its loading,
and ``scenario`` imports nothing of ``scripting``). The families still import it by this name until the
package is regrouped (issue 25)."""

from fakeopenai.scenario.conversation import (
    BASIC_KINDS,
    HOSTED_KINDS,
    STEP_KINDS,
    TERMINAL,
    ConversationMatch,
    ConversationScript,
    Step,
    StepKind,
    ToolCallSpec,
    build_conversations,
    build_hosted,
    build_step,
    build_steps,
    cut_off_by,
)

__all__ = ["BASIC_KINDS", "HOSTED_KINDS", "STEP_KINDS", "TERMINAL", "ConversationMatch", "ConversationScript",
           "Step", "StepKind", "ToolCallSpec", "build_conversations", "build_hosted", "build_step", "build_steps",
           "cut_off_by"]

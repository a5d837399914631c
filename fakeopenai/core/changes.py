"""The state-change log (logger ``fakeopenai.engine``): one line per change, at INFO.

``fakeopenai serve --log-level info`` shows it; the pytest fixture leaves it off. Code that
builds costly log text checks :func:`logging_changes` first, so it is skipped when off.
"""

from __future__ import annotations

import logging

log = logging.getLogger("fakeopenai.engine")


def logging_changes() -> bool:
    """Whether state changes are logged (INFO or lower is enabled for ``fakeopenai.engine``)."""
    return log.isEnabledFor(logging.INFO)

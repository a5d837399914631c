"""Compat profiles (a leaf: imports nothing of the families, scenario code or rendering).

The profile names, and the scenario schema's ``compat`` enum, come from
:data:`fakeopenai.core.compat.profiles.PROFILE_NAMES`.
"""

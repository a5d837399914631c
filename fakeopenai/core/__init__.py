"""The common core every family builds on: no HTTP here.

``state`` (one tenant's world) and ``tenants`` (one per API key), ``clock`` and ``ids`` (the
scenario's time and ids), ``store`` (objects and their lists), ``timeline`` and ``changes`` (what
happened, for the control API), ``registry`` (the one seam to the list of families) and ``family``
(the Family type), ``errors`` (OpenAI's error shape), ``known_models``, ``unknown_ids`` and
``compat`` (the compatibility profiles).
"""

"""The HTTP side: the Starlette app and its routes, the control API, and what families answer with.

``app`` (the ASGI app), ``routes`` (every operation's route, from the OpenAPI document),
``control`` (``/_fake/...``) and its page ``ui``; the helpers a family's HTTP modules use:
``params`` (request bodies and queries, checked), ``rendering`` (JSON answers, lists, pages) and
``streaming`` (server-sent events). A family's engine imports none of these (tests/test_imports.py).
"""

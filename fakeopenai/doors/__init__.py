"""The doors: how a user starts the fake and how requests reach it.

``cli`` (``python -m fakeopenai``), ``server`` (:class:`FakeOpenAI`: uvicorn in a thread, or
in-process), ``transport`` (the in-process httpx transport the SDK is handed), ``loop_lock`` (one
event loop shared by the server and in-process clients) and ``tls`` (``serve --tls``).
"""

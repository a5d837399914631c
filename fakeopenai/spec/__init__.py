"""The OpenAPI document and what is made from it.

``openapi`` (the served document, assembled from ``openapi.json`` here and each family's part),
``request_schema`` and ``schema_branches`` (request bodies checked against it), ``jsonstrict``
(JSON parsed the way the API does), ``generate`` (answers made from a schema) and ``png`` (the
pictures a generated answer carries).
"""

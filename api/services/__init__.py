"""The control API's queries and actions: plain functions over a psycopg connection that
return pydantic models, shared by the JSON routes and the review pages.

Reads page with opaque keyset cursors (`api.services.pages`); actions append a
`ledger.decision` with the deciding token's name and return what they decided. The texts
they take keep to the rules of `api.services.texts`. Failures are `api.services.errors`
exceptions, each with the HTTP status it stands for.
"""

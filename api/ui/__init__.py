"""The review pages for finance staff at `/ui`: server-rendered (Jinja2, plain HTML forms, no
JavaScript), signed in with an API token, built on the same service layer as the JSON API."""

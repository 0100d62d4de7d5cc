"""The control API: FastAPI routes (`api.routes`) over a service layer (`api.services`)
that the JSON routes and the review pages share. `api.app.create_app` builds the app."""

"""The JSON routes: thin, each a call into `api.services` with the caller's principal."""

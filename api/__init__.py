"""The FastAPI control surface: unmatched items, decisions, dead letters, history, schedules."""

"""Change data capture: turns "what each system holds now" into change events for the ledger."""

"""Plans write intents from resolved differences and applies each exactly once in effect."""

"""Connectors: each talks to one external system and nothing else."""

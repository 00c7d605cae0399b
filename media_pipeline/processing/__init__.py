"""Processing a version: probe, encode, publish (pipeline.py is the entry point)."""

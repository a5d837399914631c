"""Scenario model, YAML loading with positions, and the JSON Schema of the format."""

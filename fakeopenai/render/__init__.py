"""Objects -> JSON per compat profile, and stream events."""

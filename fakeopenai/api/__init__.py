"""Thin HTTP handlers, one module per resource: parse, call the engine, render."""

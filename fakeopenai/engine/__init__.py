"""State machines and storage with no HTTP in them (moto's models.py)."""

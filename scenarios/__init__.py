"""Built-in scenarios (YAML). Shipped in the wheel as the package ``fakeopenai.scenarios``."""

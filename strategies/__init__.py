"""Built-in scheduling strategies: one policy a module, registered by name with @register."""

"""Attention backends: each binds one step's inputs to the KV storage and returns the per-layer callable."""

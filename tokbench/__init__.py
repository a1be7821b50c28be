"""tokbench: measure which LLM-inference scheduling strategy serves a model and traffic best."""

__version__ = "0.1.0"

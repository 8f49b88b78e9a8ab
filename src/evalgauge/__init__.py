"""evalgauge: evals as a service contract, next to its schema, its SLO and its budget."""

__version__ = "0.1.0"

__all__ = ["__version__"]

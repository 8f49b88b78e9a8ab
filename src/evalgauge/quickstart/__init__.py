"""The quickstart example project."""

from evalgauge.quickstart._project import CONFIG, write_project

__all__ = ["CONFIG", "write_project"]

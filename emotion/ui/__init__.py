"""The Gradio app, one module per tab; ``build_app`` wires them together."""

from .server import build_app

__all__ = ["build_app"]

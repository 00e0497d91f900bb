"""Delivery: the Gradio page (``web.ui.build_ui``) and the REST routers (``web.api``)."""

__all__: list[str] = []

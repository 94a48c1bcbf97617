"""The web chat (Gradio): ask, read the cited passages, add reports, run the evaluation.

The public API; ``app.py`` starts it.
"""

from ingest.public import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "webui.handlers": ("WebApp",),
        "webui.ui": ("build_ui", "CSS_PATH", "JS_PATH", "THEME", "TITLE"),
    },
)

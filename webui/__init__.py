"""The web chat (Gradio): ask, read the cited passages, add reports, run the evaluation.

The public API; ``app.py`` starts it.
"""

from ingest.public import lazy_exports

_EXPORTS = {
    "WebApp": "webui.handlers",
    "build_ui": "webui.ui",
    "CSS_PATH": "webui.ui",
    "THEME": "webui.ui",
    "TITLE": "webui.ui",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

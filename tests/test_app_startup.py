"""The start-up panel's progress: within a report, the embedded texts are counted."""

from __future__ import annotations

import numpy as np

from webui.startup import EMBED_SLICE, INDEXING, ReportingEmbeddings, Startup


def test_embedding_in_slices_reports_each_step_and_gives_the_same_vectors(embeddings):
    texts = [
        f"津市の訪問団は{n}名で構成されました。" * (1 + n % 5) for n in range(EMBED_SLICE + 30)
    ]
    steps: list[tuple[int, int]] = []
    reporting = ReportingEmbeddings(embeddings, lambda done, total: steps.append((done, total)))
    vectors = reporting.embed_documents(texts)
    assert np.allclose(vectors, embeddings.embed_documents(texts), atol=1e-5)
    assert len(steps) >= 2 and steps[-1] == (len(texts), len(texts))
    assert [done for done, _ in steps] == sorted(done for done, _ in steps)
    assert reporting.dimension == embeddings.dimension  # the rest is the model's own


def test_the_panel_names_the_report_and_counts_its_embedded_texts():
    startup = Startup()
    startup.say("  [1/1] tsu_2012_europe_economic_agreements.txt")
    startup.embedded(64, 480)
    state = startup.state
    assert (state.done, state.total) == (64, 480)
    assert state.message.startswith(INDEXING)
    assert "tsu_2012_europe_economic_agreements.txt：64/480 件を埋め込みました" in state.message

"""Ingestion as a user sees it: files go in once, changes replace, bad files fail alone."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from ingest import store
from ingest.keyword_index import KeywordIndex
from ingest.pipeline import Ingestor
from ingest.records import Outcome
from tests.conftest import FIXTURE_REPORTS, SEED_REPORT


class CountingEmbeddings(Embeddings):
    """The real model, counting how many passages it was asked to embed."""

    def __init__(self, inner: Embeddings):
        self.inner = inner
        self.documents = 0

    def embed_documents(self, texts):
        self.documents += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


@pytest.fixture
def counting(embeddings):
    return CountingEmbeddings(embeddings)


@pytest.fixture
def reports_dir(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(SEED_REPORT, folder / SEED_REPORT.name)
    return folder


def index_state(settings) -> tuple[set[str], set[str]]:
    chroma_ids = store.all_chroma_ids(store.open_collection(settings))
    return chroma_ids, KeywordIndex(settings.catalog_path).chunk_ids()


def outcomes_by_source(outcomes):
    return {o.source: o for o in outcomes}


def test_first_ingest_adds_and_second_writes_nothing(settings, reports_dir, counting):
    first = Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    assert [o.outcome for o in first] == [Outcome.ADDED]
    embedded = counting.documents
    stored = KeywordIndex(settings.catalog_path)
    sentences = sum(len(v) for v in stored.sentence_vectors(stored.chunk_ids()).values())
    # each chunk once for Chroma, each of its sentences once for the reader
    assert embedded == first[0].chunks + sentences and first[0].chunks > 5

    second = Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    assert [o.outcome for o in second] == [Outcome.UNCHANGED]
    assert counting.documents == embedded, "an unchanged file must not be embedded again"
    chroma_ids, keyword_ids = index_state(settings)
    assert chroma_ids == keyword_ids and len(chroma_ids) == first[0].chunks


def test_changed_file_replaces_its_chunks(settings, reports_dir, counting):
    report = reports_dir / SEED_REPORT.name
    Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    before, _ = index_state(settings)

    report.write_text(
        report.read_text(encoding="utf-8")
        + "\n■追記\n平成25年3月、フォローアップ会議を開催しました。\n",
        encoding="utf-8",
    )
    outcome = Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])[0]
    assert outcome.outcome == Outcome.UPDATED
    after, keyword_ids = index_state(settings)
    assert after == keyword_ids
    assert len(after) == outcome.chunks, "old chunks must not survive an update"
    assert after != before
    texts = store.open_collection(settings).get(include=["documents"])["documents"]
    assert any("フォローアップ会議" in t for t in texts)


def test_same_report_under_two_names_is_stored_once(settings, reports_dir, counting):
    Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    shutil.copy(reports_dir / SEED_REPORT.name, reports_dir / "copy_of_report.txt")
    outcomes = outcomes_by_source(
        Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    )
    assert outcomes["copy_of_report.txt"].outcome == Outcome.UNCHANGED
    assert SEED_REPORT.name in outcomes["copy_of_report.txt"].message
    assert [r.source for r in Ingestor(settings).list_reports()] == [SEED_REPORT.name]


def test_two_names_for_one_report_in_the_same_run_are_stored_once(settings, reports_dir, counting):
    shutil.copy(reports_dir / SEED_REPORT.name, reports_dir / "zz_copy_of_report.txt")
    outcomes = outcomes_by_source(
        Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    )
    assert outcomes[SEED_REPORT.name].outcome == Outcome.ADDED
    assert outcomes["zz_copy_of_report.txt"].outcome == Outcome.UNCHANGED
    assert SEED_REPORT.name in outcomes["zz_copy_of_report.txt"].message
    chroma_ids, keyword_ids = index_state(settings)
    assert chroma_ids == keyword_ids and len(chroma_ids) == outcomes[SEED_REPORT.name].chunks


class CallCountingEmbeddings(CountingEmbeddings):
    def __init__(self, inner: Embeddings):
        super().__init__(inner)
        self.calls = 0

    def embed_documents(self, texts):
        self.calls += 1
        return super().embed_documents(texts)


@pytest.mark.slow  # the 27 fixture reports embedded twice
def test_reports_are_embedded_together_and_the_index_does_not_depend_on_it(
    settings, tmp_path, embeddings
):
    """Several reports share one embedding call (write_batch chunks); each is still its own
    report, and any window size gives the same index."""
    together, one_by_one = CallCountingEmbeddings(embeddings), CallCountingEmbeddings(embeddings)
    windowed = settings.with_(data_dir=tmp_path / "windowed", write_batch=1000)
    single = settings.with_(data_dir=tmp_path / "single", write_batch=1)
    first = Ingestor(windowed, embeddings=together).ingest_paths([FIXTURE_REPORTS])
    second = Ingestor(single, embeddings=one_by_one).ingest_paths([FIXTURE_REPORTS])

    assert [o.outcome for o in first] == [Outcome.ADDED] * len(first) == [o.outcome for o in second]
    assert [(o.source, o.chunks) for o in first] == [(o.source, o.chunks) for o in second]
    # one call for the chunks and one for their sentences, per window
    assert together.calls == 2 and one_by_one.calls == 2 * len(first) > 2
    assert index_state(windowed) == index_state(single)
    assert [r.source for r in Ingestor(windowed).list_reports()] == [
        r.source for r in Ingestor(single).list_reports()
    ]


def test_shift_jis_and_euc_jp_copies_give_the_same_chunks(settings, tmp_path, counting):
    # Shift_JIS has no accented Latin letters: all three copies use the same plain ones.
    text = SEED_REPORT.read_text(encoding="utf-8").translate(str.maketrans("éÎ", "eI"))
    folder = tmp_path / "encodings"
    folder.mkdir()
    for name, encoding in (("utf8.txt", "utf-8"), ("sjis.txt", "cp932"), ("eucjp.txt", "euc_jp")):
        (folder / name).write_bytes(text.encode(encoding))
    for name in ("utf8.txt", "sjis.txt", "eucjp.txt"):
        Ingestor(settings.with_(data_dir=tmp_path / name), embeddings=counting).ingest_paths(
            [folder / name]
        )
    chunk_texts = [
        [c.text for c in KeywordIndex(tmp_path / name / "catalog.sqlite3").all_chunks()]
        for name in ("utf8.txt", "sjis.txt", "eucjp.txt")
    ]
    assert chunk_texts[0] and chunk_texts[0] == chunk_texts[1] == chunk_texts[2]


def test_prune_removes_reports_whose_file_is_gone(settings, reports_dir, counting):
    extra = reports_dir / "short.txt"
    extra.write_text(
        "■概要\n令和5年4月、伊賀市はリヨン市の企業3社と協議しました。\n", encoding="utf-8"
    )
    Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    extra.unlink()
    kept = Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    assert {r.source for r in Ingestor(settings).list_reports()} == {SEED_REPORT.name, "short.txt"}
    assert all(o.outcome == Outcome.UNCHANGED for o in kept)

    pruned = outcomes_by_source(
        Ingestor(settings, embeddings=counting).ingest_paths([reports_dir], prune=True)
    )
    assert pruned["short.txt"].outcome == Outcome.REMOVED
    assert {r.source for r in Ingestor(settings).list_reports()} == {SEED_REPORT.name}
    chroma_ids, keyword_ids = index_state(settings)
    assert chroma_ids == keyword_ids


def test_bad_files_fail_alone_and_change_nothing_stored(settings, reports_dir, counting, tmp_path):
    Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    stored_before = index_state(settings)

    bad = {
        "empty.txt": b"",
        "blank.txt": b"   \n\t\n",
        "binary.txt": bytes(range(256)) * 4,
        "scan.pdf": b"%PDF-1.4 this is not really a pdf",
        "slides.pptx": b"PK\x03\x04 not supported",
    }
    for name, data in bad.items():
        (reports_dir / name).write_bytes(data)
    (reports_dir / "loop.txt").symlink_to(reports_dir / "loop.txt")
    big = reports_dir / "big.txt"
    big.write_text("大" * 2_000_000, encoding="utf-8")
    locked = reports_dir / "locked.txt"
    locked.write_text("■概要\n読めないファイルです。\n", encoding="utf-8")
    locked.chmod(0)
    good = reports_dir / "good.txt"
    good.write_text("■概要\n令和6年5月、亀山市はナント市と協定を締結しました。\n", encoding="utf-8")

    outcomes = outcomes_by_source(
        Ingestor(settings.with_(max_file_mb=1), embeddings=counting).ingest_paths([reports_dir])
    )
    assert outcomes["good.txt"].outcome == Outcome.ADDED
    assert outcomes[SEED_REPORT.name].outcome == Outcome.UNCHANGED
    expected_failures = [*bad, "loop.txt", "big.txt"] + (
        [] if os.geteuid() == 0 else ["locked.txt"]
    )
    for name in expected_failures:
        assert outcomes[name].outcome == Outcome.FAILED, name
        assert name in outcomes[name].message, outcomes[name].message
    chroma_ids, keyword_ids = index_state(settings)
    assert chroma_ids == keyword_ids
    added = sum(o.chunks for o in outcomes.values() if o.outcome == Outcome.ADDED)
    assert stored_before[0] <= chroma_ids and len(chroma_ids - stored_before[0]) == added


def test_orphan_vectors_from_an_interrupted_run_are_removed(settings, reports_dir, counting):
    """Chroma written, keyword commit never happened (a kill between the two)."""
    Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    collection = store.open_collection(settings)
    collection.add(
        ids=["orphan-1"],
        embeddings=[[0.1] * 384],
        documents=["途中"],
        metadatas=[{"source": "x.txt"}],
    )
    fixes = Ingestor(settings, embeddings=counting).reconcile()
    assert fixes and "1" in fixes[0]
    chroma_ids, keyword_ids = index_state(settings)
    assert chroma_ids == keyword_ids


def test_corrupt_keyword_index_is_rebuilt_from_chroma(settings, reports_dir, counting):
    Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    ids_before, _ = index_state(settings)
    catalog = Path(settings.catalog_path)
    for suffix in ("-wal", "-shm"):
        Path(f"{catalog}{suffix}").unlink(missing_ok=True)
    catalog.write_bytes(b"this is not a database" * 100)

    outcomes = Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    assert [o.outcome for o in outcomes] in ([Outcome.UNCHANGED], [Outcome.UPDATED])
    chroma_ids, keyword_ids = index_state(settings)
    assert chroma_ids == keyword_ids and len(chroma_ids) == len(ids_before)
    with sqlite3.connect(catalog) as conn:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


def test_a_japanese_pdf_is_chunked_with_page_numbers(settings, tmp_path, counting):
    from tests.test_loaders import make_pdf

    pdf = make_pdf(
        tmp_path / "kameyama_report.pdf",
        [
            [
                "■概要",
                "令和5年10月3日、亀山市はナント市の",
                "産業振興機関と協力協定を締結しました。",
            ],
            [
                "■今後の予定",
                "令和6年春には、市内企業12社による",
                "ミッション団を派遣する予定です。",
            ],
        ],
        title="亀山市とナント市の協力協定",
    )
    outcome = Ingestor(settings, embeddings=counting).ingest_paths([pdf])[0]
    assert outcome.outcome == Outcome.ADDED, outcome.message
    chunks = list(KeywordIndex(settings.catalog_path).all_chunks())
    page_of = {c.section: c.page for c in chunks}
    assert page_of == {"概要": 1, "今後の予定": 2}
    assert any("ナント市の産業振興機関と協力協定を締結しました。" in c.text for c in chunks), [
        c.text for c in chunks
    ]
    assert {c.title for c in chunks} == {"亀山市とナント市の協力協定"}


# -- context headers: embedded with the chunk, never part of what is cited -------------------


def _header_chunk():
    from ingest.records import Chunk, sha256_text

    text = "調印式には市長が出席しました。"
    return Chunk(
        chunk_id="c1",
        text=text,
        source="ise.txt",
        title="伊勢市とヴォー州の協力協定",
        section="SPEVとの協力協定への調印について",
        start=10,
        end=10 + len(text),
        content_hash=sha256_text(text),
    )


def test_chroma_document_embeds_title_and_section_and_gives_back_the_exact_chunk():
    from ingest.pipeline import chroma_document, chunk_from_chroma

    chunk = _header_chunk()
    document = chroma_document(chunk)
    assert document.page_content.startswith("伊勢市とヴォー州の協力協定 / SPEVとの協力協定")
    assert document.page_content.endswith(chunk.text)
    assert chunk_from_chroma(document.page_content, document.metadata) == chunk


def test_records_stored_before_headers_are_read_whole():
    from ingest.pipeline import chunk_from_chroma

    chunk = _header_chunk()
    assert chunk_from_chroma(chunk.text, chunk.metadata()) == chunk


def test_rebuilt_keyword_index_holds_chunk_text_without_headers(settings, reports_dir, counting):
    Ingestor(settings, embeddings=counting).ingest_paths([reports_dir])
    stored = store.open_collection(settings).get(include=["documents", "metadatas"])
    with KeywordIndex(settings.catalog_path) as index:
        before = {c.chunk_id: c.text for c in index.all_chunks()}
    settings.catalog_path.unlink()  # lost: the next run rebuilds it from Chroma
    Ingestor(settings, embeddings=counting).reconcile()
    with KeywordIndex(settings.catalog_path) as index:
        after = {c.chunk_id: c.text for c in index.all_chunks()}
    assert after == before
    assert all(m["header_chars"] > 0 for m in stored["metadatas"])


# -- report identity: two different files are two reports, whatever their names -----------

OWASE = "■一\n尾鷲市は2018年にブレスト市と協定を締結しました。\n"
KUMANO = "■二\n熊野市は2017年にニース市と協定を締結しました。\n"


def same_named_reports(tmp_path) -> tuple[Path, Path]:
    """The issue's reproduction: x1/report.txt and x2/report.txt, different reports."""
    for folder, text in (("x1", OWASE), ("x2", KUMANO)):
        (tmp_path / "reports" / folder).mkdir(parents=True)
        (tmp_path / "reports" / folder / "report.txt").write_text(text, encoding="utf-8")
    return tmp_path / "reports" / "x1", tmp_path / "reports" / "x2"


def test_two_reports_with_the_same_file_name_are_both_kept_and_answer(
    settings, tmp_path, embeddings
):
    from assistant.service import Assistant

    x1, x2 = same_named_reports(tmp_path)
    first = Ingestor(settings, embeddings=embeddings).ingest_paths([x1, x2])
    # the first keeps its plain name; the second is told apart by its folder
    assert [(o.source, o.outcome) for o in first] == [
        ("report.txt", Outcome.ADDED),
        ("x2/report.txt", Outcome.ADDED),
    ]
    again = Ingestor(settings, embeddings=embeddings).ingest_paths([x1, x2])
    assert [(o.source, o.outcome) for o in again] == [
        ("report.txt", Outcome.UNCHANGED),
        ("x2/report.txt", Outcome.UNCHANGED),
    ]
    assistant = Assistant(settings, embeddings=embeddings)
    for question, source, fact in (
        ("尾鷲市はどこと協定を締結しましたか？", "report.txt", "ブレスト市"),
        ("熊野市はどこと協定を締結しましたか？", "x2/report.txt", "ニース市"),
    ):
        answer = assistant.ask(question)
        top = answer.retrieved[0].chunk
        assert (top.source, fact in top.text) == (source, True), (question, answer.answer)
    chroma_ids, keyword_ids = index_state(settings)
    assert chroma_ids == keyword_ids


def test_a_same_named_report_ingested_later_gets_its_folder_name_and_keeps_it(
    settings, tmp_path, counting
):
    x1, x2 = same_named_reports(tmp_path)
    Ingestor(settings, embeddings=counting).ingest_paths([x1])
    later = Ingestor(settings, embeddings=counting).ingest_paths([x2 / "report.txt"])
    assert [(o.source, o.outcome) for o in later] == [("x2/report.txt", Outcome.ADDED)]
    # in either order, alone or together, each file keeps the name it was given
    for paths in ([x2, x1], [x2], [x1.parent]):
        outcomes = Ingestor(settings, embeddings=counting).ingest_paths(paths)
        assert {o.outcome for o in outcomes} == {Outcome.UNCHANGED}, outcomes
    assert {r.source for r in Ingestor(settings).list_reports()} == {"report.txt", "x2/report.txt"}


def test_a_moved_report_keeps_its_name_and_is_not_pruned(settings, tmp_path, counting):
    x1, _x2 = same_named_reports(tmp_path)
    Ingestor(settings, embeddings=counting).ingest_paths([x1])
    moved = x1.with_name("moved")
    x1.rename(moved)
    outcomes = Ingestor(settings, embeddings=counting).ingest_paths([moved], prune=True)
    assert [(o.source, o.outcome) for o in outcomes] == [("report.txt", Outcome.UNCHANGED)]
    (info,) = Ingestor(settings).list_reports()
    assert info.path == str((moved / "report.txt").resolve())


@pytest.mark.slow  # the development index
def test_the_shipped_reports_keep_their_file_names(evaluation_settings):
    """Question sets cite reports by these names (their ``evidence``), citations show them."""
    from tests.conftest import CORPUS_DIR

    reports = {
        p.name
        for folder in (CORPUS_DIR, FIXTURE_REPORTS)
        for p in folder.iterdir()
        if not p.name.endswith((".meta.json", ".jsonl"))
    }
    assert {r.source for r in Ingestor(evaluation_settings).list_reports()} == reports


def test_an_empty_folder_says_that_no_report_was_found(settings, tmp_path, caplog):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "questions.jsonl").write_text("{}\n", encoding="utf-8")
    assert Ingestor(settings).ingest_paths([empty]) == []
    assert any(
        str(empty) in r.getMessage() and "資料が見つかりませんでした" in r.getMessage()
        for r in caplog.records
    ), caplog.text


# --- re-extraction: an extraction version per format, recorded per report ------------------


class CountingLoads:
    """The real loader, remembering which files it was asked to extract."""

    def __init__(self, monkeypatch):
        from ingest import pipeline

        self.inner = pipeline.load_report
        self.names: list[str] = []
        monkeypatch.setattr(pipeline, "load_report", self)

    def __call__(self, path, **kwargs):
        self.names.append(Path(path).name)
        return self.inner(path, **kwargs)


@pytest.fixture
def two_formats(tmp_path) -> Path:
    folder = tmp_path / "two_formats"
    folder.mkdir()
    for name in ("ise_2013_vaud_agreement.txt", "okazaki_2014_basel_agreement.html"):
        shutil.copy(FIXTURE_REPORTS / name, folder / name)
    return folder


def test_an_unchanged_file_is_not_extracted_again(settings, two_formats, counting, monkeypatch):
    Ingestor(settings, embeddings=counting).ingest_paths([two_formats])
    loads = CountingLoads(monkeypatch)

    again = Ingestor(settings, embeddings=counting).ingest_paths([two_formats])

    assert {o.outcome for o in again} == {Outcome.UNCHANGED}
    assert loads.names == []
    assert all(o.chunks > 0 for o in again)


def test_a_changed_file_or_sidecar_is_extracted_again(settings, two_formats, counting, monkeypatch):
    Ingestor(settings, embeddings=counting).ingest_paths([two_formats])
    loads = CountingLoads(monkeypatch)
    (two_formats / "ise_2013_vaud_agreement.txt.meta.json").write_text(
        '{"title": "伊勢市とヴォー州の協定"}', encoding="utf-8"
    )

    outcomes = outcomes_by_source(
        Ingestor(settings, embeddings=counting).ingest_paths([two_formats])
    )

    assert loads.names == ["ise_2013_vaud_agreement.txt"]
    assert outcomes["ise_2013_vaud_agreement.txt"].outcome == Outcome.UPDATED
    assert outcomes["okazaki_2014_basel_agreement.html"].outcome == Outcome.UNCHANGED


def test_a_new_extraction_version_extracts_only_that_formats_reports_again(
    settings, two_formats, counting, monkeypatch
):
    from ingest import loaders

    Ingestor(settings, embeddings=counting).ingest_paths([two_formats])
    loads = CountingLoads(monkeypatch)
    # A new HTML extraction that finds one more sentence in the same file.
    html = loaders._EXTRACTORS[".html"]

    def new_html_extraction(data, source):
        found = html(data, source)
        return loaders._Extracted(
            text=found.text + "\n令和6年度も交流を続ける予定です。",
            title=found.title,
            encoding=found.encoding,
        )

    monkeypatch.setitem(loaders._EXTRACTORS, ".html", new_html_extraction)
    monkeypatch.setitem(loaders.EXTRACTION_VERSIONS, ".html", "99")

    outcomes = outcomes_by_source(
        Ingestor(settings, embeddings=counting).ingest_paths([two_formats])
    )

    assert loads.names == ["okazaki_2014_basel_agreement.html"]
    assert outcomes["okazaki_2014_basel_agreement.html"].outcome == Outcome.UPDATED
    assert outcomes["ise_2013_vaud_agreement.txt"].outcome == Outcome.UNCHANGED
    texts = store.open_collection(settings).get(include=["documents"])["documents"]
    assert any("令和6年度も交流を続ける予定です。" in t for t in texts)
    html_report = Ingestor(settings).catalog.get("okazaki_2014_basel_agreement.html")
    assert html_report.extraction == "html:99"

    loads.names.clear()
    third = Ingestor(settings, embeddings=counting).ingest_paths([two_formats])
    assert {o.outcome for o in third} == {Outcome.UNCHANGED} and loads.names == []


def test_a_new_version_that_extracts_the_same_text_changes_nothing_and_is_remembered(
    settings, two_formats, counting, monkeypatch
):
    from ingest import loaders

    Ingestor(settings, embeddings=counting).ingest_paths([two_formats])
    embedded = counting.documents
    loads = CountingLoads(monkeypatch)
    monkeypatch.setitem(loaders.EXTRACTION_VERSIONS, ".txt", "99")

    second = Ingestor(settings, embeddings=counting).ingest_paths([two_formats])
    third = Ingestor(settings, embeddings=counting).ingest_paths([two_formats])

    assert {o.outcome for o in second + third} == {Outcome.UNCHANGED}
    assert loads.names == ["ise_2013_vaud_agreement.txt"], "extracted once, then remembered"
    assert counting.documents == embedded
    assert Ingestor(settings).catalog.get("ise_2013_vaud_agreement.txt").extraction == "txt:99"


def test_reports_of_a_catalog_from_before_extraction_versions_are_extracted_once(
    settings, two_formats, counting, monkeypatch
):
    Ingestor(settings, embeddings=counting).ingest_paths([two_formats])
    drop_extraction_columns(settings.catalog_path)
    loads = CountingLoads(monkeypatch)

    second = Ingestor(settings, embeddings=counting).ingest_paths([two_formats])
    third = Ingestor(settings, embeddings=counting).ingest_paths([two_formats])

    assert {o.outcome for o in second + third} == {Outcome.UNCHANGED}
    assert sorted(loads.names) == sorted(p.name for p in two_formats.iterdir())
    reports = Ingestor(settings).list_reports()
    assert {r.extraction for r in reports} == {"txt:2", "html:2"}


def drop_extraction_columns(path: Path) -> None:
    """Make the catalog look as catalogs written before extraction versions did."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("ALTER TABLE reports DROP COLUMN input_hash")
        conn.execute("ALTER TABLE reports DROP COLUMN extraction")
        conn.commit()
        columns = {row[1] for row in conn.execute("PRAGMA table_info(reports)")}
    finally:
        conn.close()
    assert "extraction" not in columns


def test_no_radical_character_is_stored_from_a_report_that_has_them(settings, tmp_path, counting):
    folder = tmp_path / "radicals"
    folder.mkdir()
    (folder / "kameyama.txt").write_text(
        "■⻲⼭市とリヨン第三⼤学の協定\n"
        "令和5年6⽉14⽇、⻲⼭市とリヨン第三⼤学との間で学術交流協定を締結しました。\n"
        "市内企業6社の代表者が訪問団として参加し、現地の企業を訪問する⾏程でした。\n"
        "さ い た ま 市 の 視 察 団 も 同 行 し ま し た 。\n",
        encoding="utf-8",
    )
    [outcome] = Ingestor(settings, embeddings=counting).ingest_paths([folder])
    assert outcome.outcome == Outcome.ADDED

    stored = [
        c.text + c.title + c.section for c in KeywordIndex(settings.catalog_path).all_chunks()
    ]
    stored += store.open_collection(settings).get(include=["documents"])["documents"]
    stored += [r.title for r in Ingestor(settings).list_reports()]
    radicals = [ch for text in stored for ch in text if 0x2E80 <= ord(ch) <= 0x2FDF]
    assert radicals == []
    joined = "\n".join(stored)
    assert "令和5年6月14日、亀山市とリヨン第三大学との間で学術交流協定を締結しました。" in joined
    assert "さいたま市の視察団も同行しました。" in joined


# --- Excel and PowerPoint: a fact in a cell or on a slide is stored with its sheet or slide --


def test_a_fact_in_a_cell_or_on_a_slide_is_stored_with_its_sheet_or_slide(
    settings, tmp_path, counting
):
    from tests.test_excel import make_workbook
    from tests.test_powerpoint import make_deck

    folder = tmp_path / "office"
    folder.mkdir()
    make_workbook(folder / "lyon_mission.xlsx")
    make_deck(folder / "lyon_slides.pptx")
    # What Excel leaves beside a workbook while someone has it open: not a report.
    (folder / "~$lyon_mission.xlsx").write_bytes(b"\x0ckameyama" + bytes(150))

    outcomes = Ingestor(settings, embeddings=counting).ingest_paths([folder])

    assert {o.source: o.outcome for o in outcomes} == {
        "lyon_mission.xlsx": Outcome.ADDED,
        "lyon_slides.pptx": Outcome.ADDED,
    }
    chunks = list(KeywordIndex(settings.catalog_path).all_chunks())
    cell = next(c for c in chunks if "行程：協定調印式／場所：リヨン第三大学" in c.text)
    assert (cell.source, cell.section) == ("lyon_mission.xlsx", "視察日程")
    assert "日付：6月14日" in cell.text
    budget = next(c for c in chunks if "費目：旅費／金額：1,200,000" in c.text)
    assert budget.section == "予算"
    slide = next(c for c in chunks if "日付：6月14日／行程：協定調印式" in c.text and c.page)
    assert (slide.source, slide.section, slide.page) == (
        "lyon_slides.pptx",
        "スライド3：視察日程",
        3,
    )
    notes = next(c for c in chunks if "参加者は合計18名でした。" in c.text)
    assert (notes.section, notes.page) == ("スライド2：訪問団", 2)
    # The sheet and the slide are part of what is embedded and searched.
    documents = store.open_collection(settings).get(include=["documents"])["documents"]
    assert any(d.startswith("亀山市リヨン訪問団の記録 / 視察日程\n") for d in documents)
    index = KeywordIndex(settings.catalog_path)
    [(best, _score)] = index.search("協定調印式 リヨン第三大学", k=1)
    assert index.get([best])[0].source == "lyon_mission.xlsx"

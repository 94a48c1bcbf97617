"""Start, watch and stop child processes (CLIs, Chroma servers) from tests."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
CHROMA_CLI = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli_env(settings=None, **variables: str) -> dict[str, str]:
    """The environment for ``python -m ingest|assistant``: this process's, without any
    ``REPORTS_*`` of its own, plus the variables that describe ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTS_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONPATH=str(REPO))
    if settings is not None:
        env["REPORTS_DATA_DIR"] = str(settings.data_dir)
        if settings.model_dir is not None:
            env["REPORTS_MODEL_DIR"] = str(settings.model_dir)
        if settings.chroma_url:
            env["REPORTS_CHROMA_URL"] = settings.chroma_url
        env["REPORTS_CORPUS_DIR"] = str(settings.corpus_dir)
        env["REPORTS_COLLECTION"] = settings.collection
    env.update(variables)
    return env


class Child:
    """A process in its own session (so its own process group); stopped on ``close``.

    Output goes to files, never to pipes nobody reads (a full pipe would block the child).
    """

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        log_dir: Path,
        name: str,
        preexec: Callable[[], None] | None = None,
    ):
        log_dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.stdout_path = log_dir / f"{name}.out"
        self.stderr_path = log_dir / f"{name}.err"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.popen = subprocess.Popen(
                args,
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=preexec,
            )
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.close()
            raise AssertionError(
                f"{self.name} did not finish within {timeout} s:\n{self.output()}"
            ) from None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """kill -9 the whole group and reap the child."""
        self.signal_group(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def close(self) -> None:
        if self.running():
            self.kill()

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def output(self) -> str:
        return f"--- stdout\n{self.stdout()}\n--- stderr\n{self.stderr()}"

    def cpu_seconds(self) -> float:
        """User + system CPU time the child has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_until_idle(self, quiet: float = 2.0, timeout: float = 60.0) -> None:
        """Return once the child used no CPU for ``quiet`` seconds (blocked on a lock)."""
        deadline = time.monotonic() + timeout
        last = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            if not self.running():
                raise AssertionError(
                    f"{self.name} exited while we waited for it to block:\n{self.output()}"
                )
            now = self.cpu_seconds()
            if now == last:
                return
            last = now
        raise AssertionError(f"{self.name} kept working for {timeout} s; it never blocked")

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def run_cli(
    module_args: list[str],
    env: dict[str, str],
    log_dir: Path,
    name: str,
    timeout: float = 180.0,
    preexec: Callable[[], None] | None = None,
) -> tuple[int, str, str]:
    """Run ``python -m MODULE ARGS`` to the end: (exit code, stdout, stderr)."""
    with Child([PYTHON, "-m", *module_args], env, log_dir, name, preexec) as child:
        code = child.wait(timeout)
        return code, child.stdout(), child.stderr()


def start_cli(module_args: list[str], env: dict[str, str], log_dir: Path, name: str) -> Child:
    return Child([PYTHON, "-m", *module_args], env, log_dir, name)


def wait_for(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class ChromaServer:
    """A real ``chroma run`` on 127.0.0.1, restartable on the same port and data path."""

    def __init__(self, path: Path, log_dir: Path, port: int | None = None):
        self.path = path
        self.log_dir = log_dir
        self.port = port or free_port()
        self._child: Child | None = None
        self._starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ChromaServer:
        self._starts += 1
        self._child = Child(
            [
                str(CHROMA_CLI),
                "run",
                "--path",
                str(self.path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cli_env(),
            self.log_dir,
            f"chroma-{self.port}-{self._starts}",
        )
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if not self._child.running():
                raise AssertionError(f"chroma run exited:\n{self._child.output()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"chroma run gave no heartbeat within {timeout} s")
            time.sleep(0.2)
        return self

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as response:
                return "heartbeat" in next(iter(json.load(response)), "")
        except (OSError, urllib.error.URLError, ValueError, StopIteration):
            return False

    def stop(self) -> None:
        """SIGTERM (Chroma flushes and exits), SIGKILL if it takes longer than 15 s."""
        child, self._child = self._child, None
        if child is None or not child.running():
            return
        child.signal_group(signal.SIGTERM)
        try:
            child.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


# Root reads every file whatever its mode (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH). A child
# started through this prefix has both capabilities removed, so a chmod 000 folder is as
# unreadable to it as to any user.
DROP_READ_OVERRIDE = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search",
    "--inh-caps=-all",
]


def without_read_override(scratch: Path) -> list[str] | str:
    """The command prefix that makes a child obey file permissions (none needed when not
    root), or why that is impossible here. Checked for real on a chmod 000 folder."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed: root cannot be denied a folder"
    works = subprocess.run([*DROP_READ_OVERRIDE, "true"], capture_output=True, check=False)
    if works.returncode != 0:
        return f"setpriv cannot drop capabilities here: {works.stderr.decode(errors='replace')}"
    probe = scratch / "probe-no-read"
    probe.mkdir(parents=True, exist_ok=True)
    probe.chmod(0)
    try:
        done = subprocess.run(
            [*DROP_READ_OVERRIDE, "ls", str(probe)], capture_output=True, check=False
        )
    finally:
        probe.chmod(0o700)
    if done.returncode == 0:
        return "setpriv could not drop CAP_DAC_OVERRIDE here: root still reads a chmod 000 folder"
    return DROP_READ_OVERRIDE

"""The web chat: ``python app.py [--host H] [--port P]`` (default http://127.0.0.1:7860).

Serves the page at once, then loads the models (converting the embedding model on the first
start) and ingests corpus/ when the index is empty, in the background: the page shows what is
happening until the assistant is ready. Set ``REPORTS_AUTH`` to require a login.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

# Offline product: Gradio must not phone home for analytics or version checks.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from ingest import Settings  # noqa: E402
from webui.auth import AuthConfigError, parse_auth  # noqa: E402

DEFAULT_HOST = "127.0.0.1"  # only this machine, unless --host says otherwise
DEFAULT_PORT = 7860
QUEUE_CONCURRENCY = 2  # two CPU cores: more parallel work only adds waiting
QUEUE_MAX_SIZE = 64
# Gradio refuses larger uploads itself, in English; between REPORTS_UPLOAD_MAX_MB and this
# multiple of it the upload handler refuses them with a Japanese message naming the file.
UPLOAD_HARD_LIMIT_FACTOR = 4

log = logging.getLogger("app")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="報告書アシスタントのウェブ画面を起動します。")
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"待ち受けるアドレス（既定: {DEFAULT_HOST}）"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"ポート番号（既定: {DEFAULT_PORT}）"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own startup probes
    try:
        settings = Settings.from_env()
        auth = parse_auth(settings.auth)
    except (AuthConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from webui.handlers import WebApp  # Chroma and Gradio load only after the checks
    from webui.i18n import japanese_everywhere
    from webui.ui import CSS_PATH, JS_PATH, THEME, TITLE, build_ui

    app = WebApp.create(settings)  # loads nothing: the page is served before the models load
    demo = build_ui(app)
    demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=QUEUE_MAX_SIZE)
    try:
        demo.launch(
            server_name=args.host,
            server_port=args.port,
            auth=auth,
            auth_message=f"{TITLE}にログインしてください。",
            show_error=False,  # users see short Japanese messages, never stack traces
            max_file_size=int(settings.upload_max_mb * UPLOAD_HARD_LIMIT_FACTOR * 1024 * 1024),
            # feedback exports are not here: each is handed to its login alone (webui.feedback)
            allowed_paths=[str(settings.data_dir / "evaluations")],
            theme=THEME,
            css_paths=[CSS_PATH],
            js=JS_PATH.read_text(encoding="utf-8"),
            i18n=japanese_everywhere(),
            footer_links=["api"],
            ssr_mode=False,
            favicon_path=None,
            prevent_thread_lock=True,  # the start-up work begins once the page is served
        )
    except OSError as exc:
        print(
            f"error: {args.host}:{args.port} で起動できません（{exc}）。"
            "--port で別のポートを指定してください。",
            file=sys.stderr,
        )
        return 1
    print("準備を始めます（進み具合はブラウザの画面に表示されます）…", flush=True)
    app.start()
    demo.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())

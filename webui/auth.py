"""Login for the web chat: ``REPORTS_AUTH`` is ``user:password`` or a file of such lines."""

from __future__ import annotations

from pathlib import Path


class AuthConfigError(ValueError):
    """REPORTS_AUTH cannot be used; the message says what to fix."""


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """Credentials for Gradio's ``auth``, or None when login is off.

    A value naming an existing file is read as one ``user:password`` per line (blank lines
    and lines starting with ``#`` are skipped); anything else is a single ``user:password``.
    The password may itself contain ``:``.
    """
    if value is None or not value.strip():
        return None
    path = Path(value).expanduser()
    if path.is_file():
        return _read_auth_file(path)
    if ":" not in value and ("/" in value or value.endswith(".txt")):
        raise AuthConfigError(
            f"REPORTS_AUTH: ファイル {value} が見つかりません。パスを確認するか、"
            "「ユーザー名:パスワード」の形で指定してください。"
        )
    return [_parse_pair(value.strip(), "REPORTS_AUTH")]


def _read_auth_file(path: Path) -> list[tuple[str, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthConfigError(
            f"REPORTS_AUTH: {path} を読めません（{exc}）。UTF-8 のテキストファイルにしてください。"
        ) from exc
    pairs = [
        _parse_pair(line.strip(), f"{path} の {number} 行目")
        for number, line in enumerate(lines, start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not pairs:
        raise AuthConfigError(f"REPORTS_AUTH: {path} に「ユーザー名:パスワード」の行がありません。")
    return pairs


def _parse_pair(text: str, where: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user.strip() or not password:
        raise AuthConfigError(
            f"{where}: 「ユーザー名:パスワード」の形で指定してください（ユーザー名と"
            "パスワードはどちらも空にできません）。"
        )
    return user.strip(), password

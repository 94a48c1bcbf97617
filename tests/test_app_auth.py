"""REPORTS_AUTH: one user:password, or a file of them; bad values fail with a clear message."""

from __future__ import annotations

import pytest

from webui.auth import AuthConfigError, parse_auth


def test_no_value_means_no_login():
    assert parse_auth(None) is None
    assert parse_auth("  ") is None


def test_single_pair_and_passwords_may_contain_colons():
    assert parse_auth("staff:secret") == [("staff", "secret")]
    assert parse_auth("staff:a:b:c") == [("staff", "a:b:c")]


def test_file_of_pairs_skips_blank_lines_and_comments(tmp_path):
    path = tmp_path / "users.txt"
    path.write_text("# 国際課\nsato:pass1\n\ntanaka:pass:2\n", encoding="utf-8")
    assert parse_auth(str(path)) == [("sato", "pass1"), ("tanaka", "pass:2")]


def test_bad_line_in_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "users.txt"
    path.write_text("sato:pass1\nbroken-line\n", encoding="utf-8")
    with pytest.raises(AuthConfigError, match=r"users\.txt の 2 行目"):
        parse_auth(str(path))


def test_file_without_pairs_is_an_error(tmp_path):
    path = tmp_path / "users.txt"
    path.write_text("# nobody yet\n", encoding="utf-8")
    with pytest.raises(AuthConfigError, match="ユーザー名:パスワード"):
        parse_auth(str(path))


@pytest.mark.parametrize("value", ["nopassword", ":secret", "staff:"])
def test_incomplete_pairs_are_errors(value):
    with pytest.raises(AuthConfigError, match="ユーザー名:パスワード"):
        parse_auth(value)


def test_missing_file_is_reported_as_a_missing_file():
    with pytest.raises(AuthConfigError, match="見つかりません"):
        parse_auth("/etc/reports/users.txt")

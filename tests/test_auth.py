"""Accounts, tokens, session cookies and role permissions (no model needed)."""
from __future__ import annotations

import sqlite3

import pytest

from indexing.errors import InputError, NotFoundError
from service.auth import PERMISSIONS, SessionSigner, can, load_secret
from service.db import ServiceDB, hash_token


@pytest.fixture()
def db(tmp_path):
    return ServiceDB(tmp_path / "service.sqlite3")


def test_token_is_shown_once_and_stored_only_hashed(db, tmp_path):
    token = db.add_user("nguyen.van.a", "reviewer")
    assert token.startswith("sk_") and len(token) > 30
    user = db.user_for_token(token)
    assert (user.name, user.role, user.role_label) == ("nguyen.van.a", "reviewer", "Thành viên hội đồng")
    raw = (tmp_path / "service.sqlite3").read_bytes()
    assert token.encode() not in raw
    stored = sqlite3.connect(tmp_path / "service.sqlite3").execute("SELECT token_hash FROM tokens").fetchone()[0]
    assert stored == hash_token(token)
    assert db.user_for_token(token + "x") is None


def test_revoked_user_loses_access_and_can_be_reissued(db):
    token = db.add_user("tran.thi.b", "author")
    db.revoke_user("tran.thi.b")
    assert db.user_for_token(token) is None
    with pytest.raises(NotFoundError):
        db.revoke_user("tran.thi.b")
    new_token = db.add_user("tran.thi.b", "author")
    assert db.user_for_token(new_token).name == "tran.thi.b"
    assert db.user_for_token(token) is None  # the old token stays dead


def test_add_user_rejects_duplicates_and_unknown_roles(db):
    db.add_user("le.c", "admin")
    with pytest.raises(InputError, match="đã tồn tại"):
        db.add_user("le.c", "author")
    with pytest.raises(InputError, match="Vai trò không hợp lệ"):
        db.add_user("pham.d", "superuser")


def test_demo_users_are_idempotent(db):
    db.ensure_user("demo", "author", "known-token")
    db.ensure_user("demo", "author", "known-token")
    assert [u.name for u in db.list_users()] == ["demo"]
    assert db.user_for_token("known-token").role == "author"


def test_session_cookie_signature_and_expiry(tmp_path):
    secret = load_secret(tmp_path / "service.secret")
    assert load_secret(tmp_path / "service.secret") == secret  # generated once, then reused
    assert (tmp_path / "service.secret").stat().st_mode & 0o077 == 0
    signer = SessionSigner(secret, max_age_s=60)
    value = signer.sign(42)
    assert signer.verify(value) == 42
    user_id, expiry, mac = value.split(".")
    assert signer.verify(f"43.{expiry}.{mac}") is None
    assert signer.verify("garbage") is None
    assert SessionSigner(b"other-secret", 60).verify(value) is None
    expired = SessionSigner(secret, max_age_s=-1).sign(42)
    assert signer.verify(expired) is None


def test_role_permissions():
    author = type("U", (), {"role": "author"})()
    reviewer = type("U", (), {"role": "reviewer"})()
    admin = type("U", (), {"role": "admin"})()
    assert can(author, "check") and not can(author, "search") and not can(author, "archive.read")
    assert can(reviewer, "archive.read") and can(reviewer, "rounds.read")
    assert not can(reviewer, "archive.write") and not can(reviewer, "rounds.write")
    assert all(can(admin, p) for perms in PERMISSIONS.values() for p in perms)
    assert not can(None, "check")


def test_users_cli_add_list_revoke(tmp_path):
    from typer.testing import CliRunner

    from service.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["users", "add", "hoang.e", "--role", "reviewer", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert ServiceDB(tmp_path / "service.sqlite3").user_for_token(token).name == "hoang.e"

    listed = runner.invoke(app, ["users", "list", "--data-dir", str(tmp_path)])
    assert "hoang.e" in listed.output and "reviewer" in listed.output and token not in listed.output

    bad = runner.invoke(app, ["users", "add", "x", "--role", "root", "--data-dir", str(tmp_path)])
    assert bad.exit_code == 2 and "Vai trò không hợp lệ" in bad.output

    revoked = runner.invoke(app, ["users", "revoke", "hoang.e", "--data-dir", str(tmp_path)])
    assert revoked.exit_code == 0
    assert ServiceDB(tmp_path / "service.sqlite3").user_for_token(token) is None

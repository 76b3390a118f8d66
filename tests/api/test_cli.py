from __future__ import annotations

from chalicelib import cli


def test_create_admin_then_login(api, monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", "quan-ly-chi-nhanh-1")
    assert cli.main(["create-admin", "--username", "hoa.nguyen"]) == 0
    assert cli.main(["create-admin", "--username", "hoa.nguyen"]) == 1  # exists already
    monkeypatch.setenv("ADMIN_PASSWORD", "123456")
    assert cli.main(["create-admin", "--username", "weak.one"]) == 1  # no weak or default passwords
    r = api.post("/v1/admin/login", {"username": "hoa.nguyen", "password": "quan-ly-chi-nhanh-1"})
    assert r.status_code == 200 and r.json["role"] == "admin"
    assert api.post("/v1/admin/login", {"username": "weak.one", "password": "123456"}).status_code == 401

"""Issue 17: the e-invoice provider's settings are all there or none; a deployed stage keeps the
password in SSM; packaging refuses a provider half configured, naming what is missing."""

from __future__ import annotations

import os

import pytest

from chalicelib.config import ConfigError, load_settings

VIETTEL = {
    "EINVOICE_PROVIDER": "viettel",
    "EINVOICE_BASE_URL": "https://api-vinvoice.viettel.vn/services/einvoiceapplication/api",
    "EINVOICE_SUPPLIER_TAX_CODE": "2000100190",
    "EINVOICE_TEMPLATE_CODE": "1/001",
    "EINVOICE_SERIES": "C26TAA",
    "EINVOICE_USERNAME": "2000100190",
}


def test_off_when_no_provider_is_named():
    s = load_settings({"STAGE": "test"})
    assert s.einvoice_provider is None and s.einvoice_series is None


def test_a_whole_provider_is_taken():
    s = load_settings({"STAGE": "test", **VIETTEL, "EINVOICE_PASSWORD": "local-only"})
    assert (s.einvoice_provider, s.einvoice_series, s.einvoice_template_code) == ("viettel", "C26TAA", "1/001")
    assert "local-only" not in repr(s)


def test_corrections_are_adjusting_invoices_unless_replacement_is_chosen():
    env = {"STAGE": "test", **VIETTEL, "EINVOICE_PASSWORD": "local-only"}
    assert load_settings(env).einvoice_corrections == "adjustment"
    assert load_settings({**env, "EINVOICE_CORRECTIONS": "Replacement"}).einvoice_corrections == "replacement"
    with pytest.raises(ConfigError, match="EINVOICE_CORRECTIONS must be adjustment or replacement"):
        load_settings({**env, "EINVOICE_CORRECTIONS": "cancel"})


@pytest.mark.parametrize("left_out", sorted(VIETTEL.keys() - {"EINVOICE_PROVIDER"}))
def test_a_half_configured_provider_is_refused_naming_what_is_missing(left_out):
    env = {"STAGE": "test", **VIETTEL, "EINVOICE_PASSWORD": "local-only"}
    del env[left_out]
    with pytest.raises(ConfigError, match=left_out):
        load_settings(env)


def test_settings_without_a_provider_are_refused_not_ignored():
    with pytest.raises(ConfigError, match="EINVOICE_PROVIDER is unset"):
        load_settings({"STAGE": "test", "EINVOICE_SERIES": "C26TAA"})


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("EINVOICE_PROVIDER", "misa"),
        ("EINVOICE_SUPPLIER_TAX_CODE", "20001"),
        ("EINVOICE_SERIES", "1C26TAA"),
        ("EINVOICE_BASE_URL", "api-vinvoice.viettel.vn"),
    ],
)
def test_malformed_values_are_refused(name, bad):
    with pytest.raises(ConfigError, match=name):
        load_settings({"STAGE": "test", **VIETTEL, "EINVOICE_PASSWORD": "local-only", name: bad})


def _deployed(**extra):
    return {
        "STAGE": "prod",
        "JWT_SECRET_PARAM": "/cskh/prod/jwt",
        "VNPAY_HASH_SECRET_PARAM": "/cskh/prod/vnpay",
        **VIETTEL,
        **extra,
    }


def test_a_deployed_stage_reads_the_password_from_ssm_only():
    with pytest.raises(ConfigError, match="EINVOICE_PASSWORD_PARAM"):
        load_settings(_deployed(EINVOICE_PASSWORD="in-the-environment"))
    with pytest.raises(ConfigError, match="EINVOICE_PASSWORD_PARAM"):
        load_settings(_deployed())
    s = load_settings(_deployed(EINVOICE_PASSWORD_PARAM="/cskh/prod/einvoice-password"))
    assert s.einvoice_password is None and s.einvoice_password_param == "/cskh/prod/einvoice-password"
    with pytest.raises(ConfigError, match="https"):
        load_settings(
            _deployed(EINVOICE_PASSWORD_PARAM="/cskh/prod/p", EINVOICE_BASE_URL="http://api-vinvoice.viettel.vn/x")
        )


def test_packaging_prod_refuses_a_half_configured_provider(monkeypatch, capsys):
    from infra import package as pkg

    environment = pkg.stage_environment
    half = {"EINVOICE_PROVIDER": "viettel", "EINVOICE_SERIES": "C26TAA"}
    monkeypatch.setattr(pkg, "stage_environment", lambda stage: dict(environment(stage), **half))
    monkeypatch.setattr(pkg, "_check_policies", lambda stage: None)
    saved = dict(os.environ)  # packaging puts the stage's environment in this process's
    try:
        with pytest.raises(SystemExit) as refused:
            pkg.main(["--stage", "prod", "--template-only", "--out", "/nonexistent-never-written"])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    message = str(refused.value)
    assert "half configured" in message and "EINVOICE_BASE_URL" in message and "EINVOICE_PASSWORD_PARAM" in message


def test_the_lookup_page_is_optional_and_an_https_url_in_production():
    assert load_settings({"STAGE": "test"}).einvoice_lookup_url is None
    page = "https://vinvoice.viettel.vn/utilities/invoice-search"
    assert load_settings({"STAGE": "test", "EINVOICE_LOOKUP_URL": page}).einvoice_lookup_url == page
    with pytest.raises(ConfigError, match="EINVOICE_LOOKUP_URL"):
        load_settings({"STAGE": "test", "EINVOICE_LOOKUP_URL": "javascript:alert(1)"})
    with pytest.raises(ConfigError, match="EINVOICE_LOOKUP_URL"):
        load_settings(
            _deployed(EINVOICE_PASSWORD_PARAM="/cskh/prod/einvoice-password", EINVOICE_LOOKUP_URL="http://x.vn/tra-cuu")
        )

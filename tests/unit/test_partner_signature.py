"""The partner signature (domain/partner_signature.py) against the worked examples of docs/partners.md
(their HMACs were computed independently with `openssl dgst -sha256 -hmac`), the canonical string's
rules, each header missing or wrong, the IP allow-list; and the daily files' format and compare
(domain/partner_files.py)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from chalicelib.domain import partner_files as files
from chalicelib.domain import partner_signature as sig

SECRET = "demo-partner-secret-change-me"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PAY_BODY = (
    b'{"partner_txn_id":"T20240610000001","customer_code":"01031059","amount":78255,'
    b'"paid_at":"2024-06-10T13:13:20+07:00"}'
)
DOC = Path(__file__).resolve().parents[2] / "docs" / "partners.md"

# (method, path, query pairs, timestamp, nonce, body, the string signed, X-Signature)
EXAMPLES = [
    (
        "GET",
        "/v1/partners/bills",
        [("customer_code", "01031059")],
        1718000000,
        "7f3c9a2e5b1d4e8fa6c0b2d4e6f8a1c3",
        b"",
        "GET\n/v1/partners/bills?customer_code=01031059\n1718000000\n7f3c9a2e5b1d4e8fa6c0b2d4e6f8a1c3\n" + EMPTY_SHA256,
        "3d5c5123d62085cb18cc25f43922a287cd323359e218bbc47d79f8cbf69b1b68",
    ),
    (
        "POST",
        "/v1/partners/payments",
        [],
        1718000000,
        "0b8e1f6a9c3d4b2e8f7a6c5d4e3b2a19",
        PAY_BODY,
        "POST\n/v1/partners/payments\n1718000000\n0b8e1f6a9c3d4b2e8f7a6c5d4e3b2a19\n"
        "c2bdf5a756ce6adc213f30fb39550e021e463212159f0186d34d953fc13ea6e8",
        "8ef6c25819d5ddb789580fe67d0d9bc40ab1221fa8cdc63db055d12cbdac1b78",
    ),
]


@pytest.mark.parametrize("method, path, query, ts, nonce, body, canonical, signature", EXAMPLES)
def test_the_documented_examples(method, path, query, ts, nonce, body, canonical, signature):
    assert sig.canonical_string(method, path, query, ts, nonce, body) == canonical
    assert sig.sign(SECRET, canonical) == signature
    assert sig.signature_matches(SECRET, canonical, signature)
    assert sig.signature_matches(SECRET, canonical, signature.upper())  # either case of hex
    assert not sig.signature_matches("another-secret-of-16", canonical, signature)


def test_the_docs_show_the_same_values():
    """docs/partners.md's worked example is this test's: a partner's developer checks against it."""
    text = DOC.read_text(encoding="utf-8")
    for *_, canonical, signature in EXAMPLES:
        assert signature in text
        assert canonical.split("\n")[-1] in text
    assert PAY_BODY.decode() in text
    assert hashlib.sha256(PAY_BODY).hexdigest() in text


def test_the_body_hash_of_nothing_is_the_empty_strings():
    assert sig.body_hash(b"") == EMPTY_SHA256


@pytest.mark.parametrize(
    "pairs, expected",
    [
        ([], ""),
        ([("customer_code", "01031059")], "customer_code=01031059"),
        ([("b", "2"), ("a", "1")], "a=1&b=2"),  # sorted by name
        ([("a", "2"), ("a", "1")], "a=1&a=2"),  # then by value
        ([("q", "x y")], "q=x%20y"),  # a space is %20, never +
        ([("q", "a+b&c=d/e")], "q=a%2Bb%26c%3Dd%2Fe"),
        ([("q", "ế")], "q=%E1%BA%BF"),  # UTF-8 bytes, upper-case hex
        ([("q", "A-Z_a.z~0")], "q=A-Z_a.z~0"),  # unreserved characters kept
    ],
)
def test_the_canonical_query(pairs, expected):
    assert sig.canonical_query(pairs) == expected


def test_the_query_and_its_question_mark_only_when_there_is_one():
    with_query = sig.canonical_string("GET", "/v1/partners/bills", [("customer_code", "1")], 1, "n" * 16, b"")
    without = sig.canonical_string("POST", "/v1/partners/payments", [], 1, "n" * 16, b"")
    assert with_query.split("\n")[1] == "/v1/partners/bills?customer_code=1"
    assert without.split("\n")[1] == "/v1/partners/payments" and "?" not in without


@pytest.mark.parametrize(
    "seen, signed",
    [
        ("/v1/partners/bills", "/v1/partners/bills"),
        ("/api/v1/partners/bills", "/v1/partners/bills"),  # execute-api URL: the stage prefix
        ("/cskh/v1/partners/payments/T1/reversal", "/v1/partners/payments/T1/reversal"),  # a base path
    ],
)
def test_the_path_signed_starts_at_v1(seen, signed):
    assert sig.request_path(seen) == signed


def test_the_method_is_in_capitals():
    assert sig.canonical_string("post", "/v1/x", [], 1, "n" * 16, b"").startswith("POST\n")


def test_everything_signed_changes_the_signature():
    base = ("POST", "/v1/partners/payments", [], 1718000000, "0b8e1f6a9c3d4b2e8f7a6c5d4e3b2a19", PAY_BODY)
    reference = sig.sign(SECRET, sig.canonical_string(*base))
    changes = [
        ("GET", *base[1:]),
        (base[0], "/v1/partners/payment", *base[2:]),
        (*base[:2], [("x", "1")], *base[3:]),
        (*base[:3], 1718000001, *base[4:]),
        (*base[:4], "0b8e1f6a9c3d4b2e8f7a6c5d4e3b2a18", base[5]),
        (*base[:5], PAY_BODY.replace(b"78255", b"78256")),
    ]
    for changed in changes:
        assert sig.sign(SECRET, sig.canonical_string(*changed)) != reference, changed


# -- the headers ------------------------------------------------------------------------------------------

GOOD = {
    "x-partner-id": "DEMOBANK",
    "x-timestamp": "1718000000",
    "x-nonce": "7f3c9a2e5b1d4e8fa6c0b2d4e6f8a1c3",
    "x-signature": "3D5C5123D62085CB18CC25F43922A287CD323359E218BBC47D79F8CBF69B1B68",
}


def test_good_headers_are_read():
    h = sig.read_headers(GOOD)
    assert (h.partner_id, h.timestamp, h.nonce) == ("DEMOBANK", 1718000000, GOOD["x-nonce"])
    assert h.signature == GOOD["x-signature"].lower()


@pytest.mark.parametrize("name", ["x-partner-id", "x-timestamp", "x-nonce", "x-signature"])
def test_a_missing_header_is_named(name):
    with pytest.raises(sig.PartnerUnauthorized) as caught:
        sig.read_headers({k: v for k, v in GOOD.items() if k != name})
    assert caught.value.status == 401 and caught.value.code == "SIGNATURE_MISSING"
    assert caught.value.field.lower() == name
    with pytest.raises(sig.PartnerUnauthorized):
        sig.read_headers(dict(GOOD, **{name: ""}))


@pytest.mark.parametrize(
    "name, value, code",
    [
        ("x-partner-id", "demobank", "PARTNER_UNKNOWN"),
        ("x-partner-id", "DEMO1", "PARTNER_UNKNOWN"),
        ("x-partner-id", "AB", "PARTNER_UNKNOWN"),
        ("x-timestamp", "-1718000000", "TIMESTAMP_OUT_OF_RANGE"),
        ("x-timestamp", "1718000000.5", "TIMESTAMP_OUT_OF_RANGE"),
        ("x-timestamp", "2024-06-10T06:13:20Z", "TIMESTAMP_OUT_OF_RANGE"),
        ("x-nonce", "short", "SIGNATURE_INVALID"),
        ("x-nonce", "has spaces in it, too many", "SIGNATURE_INVALID"),
        ("x-nonce", "n" * 65, "SIGNATURE_INVALID"),
        ("x-signature", "3d5c", "SIGNATURE_INVALID"),
        ("x-signature", "z" * 64, "SIGNATURE_INVALID"),
        ("x-signature", "sha256=" + "a" * 64, "SIGNATURE_INVALID"),
    ],
)
def test_a_malformed_header_is_refused(name, value, code):
    with pytest.raises(sig.PartnerUnauthorized) as caught:
        sig.read_headers(dict(GOOD, **{name: value}))
    assert caught.value.code == code and caught.value.status == 401


def test_the_timestamp_window_is_five_minutes_either_way():
    assert sig.timestamp_in_range(1000, 1300) and sig.timestamp_in_range(1300, 1000)
    assert not sig.timestamp_in_range(1000, 1301) and not sig.timestamp_in_range(1301, 1000)


def test_the_nonce_outlives_every_replay():
    # A request is taken while |now - ts| <= MAX_SKEW_S: its nonce, kept NONCE_TTL_S from first use, is still
    # there at the last moment any replay of it could be taken.
    assert sig.NONCE_TTL_S >= 2 * sig.MAX_SKEW_S


@pytest.mark.parametrize(
    "ip, allowlist, allowed",
    [
        ("203.0.113.9", [], True),
        ("203.0.113.9", ["203.0.113.0/24"], True),
        ("203.0.114.9", ["203.0.113.0/24"], False),
        ("203.0.113.9", ["203.0.113.9"], True),
        ("2001:db8::1", ["2001:db8::/32"], True),
        ("2001:db8::1", ["203.0.113.0/24"], False),
        ("unknown", ["203.0.113.0/24"], False),
    ],
)
def test_the_allow_list(ip, allowlist, allowed):
    assert sig.ip_allowed(ip, allowlist) is allowed


# -- the daily files ------------------------------------------------------------------------------------


def _row(txn, amount, status="paid"):
    return files.DailyRow(txn, "01031059", amount, "2024-06-10T13:13:20+07:00", f"DEMOBANK-2024-{txn}", status)


def test_our_file_and_theirs_read_back():
    ours = files.daily_csv([_row("T1", 78255), _row("T2", 1000, "reversed")])
    assert ours.decode().splitlines() == [
        "partner_txn_id,customer_code,amount,paid_at,receipt_no,status",
        "T1,01031059,78255,2024-06-10T13:13:20+07:00,DEMOBANK-2024-T1,paid",
        "T2,01031059,1000,2024-06-10T13:13:20+07:00,DEMOBANK-2024-T2,reversed",
    ]
    parsed = files.parse_file(ours)
    assert [(x.partner_txn_id, x.amount, x.status) for x in parsed.lines] == [
        ("T1", 78255, "paid"),
        ("T2", 1000, "reversed"),
    ]
    assert parsed.errors == []


def test_a_partners_file_with_semicolons_a_bom_and_bad_lines():
    data = "\ufeffPARTNER_TXN_ID;Amount;Note\nT1;78 255;x\nT1;5;dup\nT 2;5;\nT3;-5;\nT4;5.5;\n\nT5;5;\n".encode()
    parsed = files.parse_file(data)
    assert [(x.partner_txn_id, x.amount) for x in parsed.lines] == [("T1", 78255), ("T5", 5)]
    assert [e["row"] for e in parsed.errors] == [3, 4, 5, 6]


@pytest.mark.parametrize("data", [b"", b"txn,money\n1,2\n", b"\xff\xfe", b"partner_txn_id\nT1\n"])
def test_what_is_not_a_partners_file(data):
    with pytest.raises(files.PartnerFileError):
        files.parse_file(data)


def test_the_compare():
    ours = [_row("A", 100), _row("B", 200), _row("C", 300), _row("D", 400, "reversed"), _row("E", 500)]
    theirs = [
        files.FileLine(2, "A", 100),
        files.FileLine(3, "B", 250),
        files.FileLine(4, "D", 400),  # reversed on our side, paid on theirs
        files.FileLine(5, "E", 500, status="reversed"),  # paid on ours, reversed on theirs
        files.FileLine(6, "F", 600, customer_code="01031060"),
    ]
    got = [(d.partner_txn_id, d.reason, d.ours, d.theirs) for d in files.compare(ours, theirs)]
    assert got == [
        ("B", files.AMOUNT_DIFFERS, 200, 250),
        ("C", files.OURS_ONLY, 300, None),
        ("D", files.PARTNER_ONLY, None, 400),
        ("E", files.OURS_ONLY, 500, None),
        ("F", files.PARTNER_ONLY, None, 600),
    ]
    assert (
        files.compare(ours, [files.FileLine(2, x.partner_txn_id, x.amount) for x in ours if x.status == "paid"]) == []
    )


def test_the_reasons_are_suspense_reasons_and_fit_a_line_id():
    from chalicelib.domain.identifiers import LINE_ID_RE, PARTNER_ID
    from chalicelib.domain.statements import REASONS

    assert set(files.REASONS) <= set(REASONS)
    assert re.fullmatch(r"\^\[A-Z\]\{3,10\}\$", PARTNER_ID)
    assert LINE_ID_RE.fullmatch("VIETTELPAY#" + "T" * 64)

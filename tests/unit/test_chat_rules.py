"""The chat assistants' pure rules: reading a message, signatures, events, replies."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import chat

# Known vectors, computed outside Python:
#   printf '%s' '{"object":"page","entry":[]}' | openssl dgst -sha256 -hmac 'test-app-secret-0123'
#   printf '%s' '1234567890{"event_name":"user_send_text","timestamp":"1700000000000"}1700000000000oa-secret-key' \
#       | sha256sum
FB_BODY = b'{"object":"page","entry":[]}'
FB_SIG = "sha256=1d043ab511e56806badfa5ad440fa7a5ae6452434b53237a40c2f1d22299f4a6"
ZALO_BODY = b'{"event_name":"user_send_text","timestamp":"1700000000000"}'
ZALO_SIG = "mac=07cf49a94d4ec1540d42239acb934e45bf99bd8d72075e302451358f1a26f3ef"


# -- signatures ----------------------------------------------------------------


def test_facebook_signature_matches_the_known_vector():
    assert chat.facebook_signature("test-app-secret-0123", FB_BODY) == FB_SIG
    assert chat.facebook_signature_ok("test-app-secret-0123", FB_BODY, FB_SIG)
    assert chat.facebook_signature_ok("test-app-secret-0123", FB_BODY, FB_SIG.upper().replace("SHA256=", "sha256="))


def test_facebook_signature_refuses_tampering_and_missing_headers():
    assert not chat.facebook_signature_ok("test-app-secret-0123", FB_BODY + b" ", FB_SIG)  # body changed
    assert not chat.facebook_signature_ok("another-secret-000000", FB_BODY, FB_SIG)  # other secret
    assert not chat.facebook_signature_ok("test-app-secret-0123", FB_BODY, FB_SIG[:-1] + "0")  # header changed
    assert not chat.facebook_signature_ok("test-app-secret-0123", FB_BODY, FB_SIG[len("sha256=") :])  # no prefix
    assert not chat.facebook_signature_ok("test-app-secret-0123", FB_BODY, None)
    assert not chat.facebook_signature_ok("test-app-secret-0123", FB_BODY, "")
    assert not chat.facebook_signature_ok("", FB_BODY, chat.facebook_signature("", FB_BODY))


def test_zalo_signature_matches_the_known_vector():
    assert chat.zalo_signature("1234567890", ZALO_BODY, "1700000000000", "oa-secret-key") == ZALO_SIG
    assert chat.zalo_signature_ok("1234567890", "oa-secret-key", ZALO_BODY, "1700000000000", ZALO_SIG)


def test_zalo_signature_refuses_tampering():
    ok = ("1234567890", "oa-secret-key", ZALO_BODY, "1700000000000", ZALO_SIG)
    assert not chat.zalo_signature_ok("1234567891", *ok[1:])  # other app
    assert not chat.zalo_signature_ok(ok[0], "oa-secret-kez", *ok[2:])  # other secret
    assert not chat.zalo_signature_ok(ok[0], ok[1], ZALO_BODY.replace(b"1700", b"1800"), *ok[3:])
    assert not chat.zalo_signature_ok(*ok[:3], "1700000000001", ZALO_SIG)  # other timestamp
    assert not chat.zalo_signature_ok(*ok[:4], ZALO_SIG.replace("mac=", ""))
    assert not chat.zalo_signature_ok(*ok[:4], None)
    assert not chat.zalo_signature_ok(*ok[:3], None, ZALO_SIG)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.binary(min_size=1, max_size=300))
def test_any_change_of_the_body_breaks_both_signatures(body, other):
    if other == body:
        return
    key = "s3cret-0123456789"
    assert not chat.facebook_signature_ok(key, other, chat.facebook_signature(key, body))
    assert not chat.zalo_signature_ok("42", "k", other, "1", chat.zalo_signature("42", body, "1", "k"))


# -- reading messages ----------------------------------------------------------


def test_lookup_in_vietnamese_with_and_without_diacritics_and_in_english():
    for text in (
        "tra cứu 01031059",
        "Tra Cứu 01031059",
        "tra cuu 01031059",
        "TRACUU 01031059",
        "tracứu:01031059",
        "tc 01031059",
        "  tra   cứu   01031059 ",
        "hoá đơn 01031059",
        "01031059",
        "tra cứu01031059.",
    ):
        assert chat.parse(text) == chat.Intent("lookup", "01031059"), text
    assert chat.parse("lookup 01031059") == chat.Intent("lookup", "01031059", "en")
    assert chat.parse("tra cứu") == chat.Intent("lookup", None)
    assert chat.parse("tra cứu 123") == chat.Intent("help")  # not a customer code


def test_link_and_unlink():
    for text in ("liên kết 12345678", "Liên Kết 12345678", "lien ket 12345678", "lienket 12345678", "lk 12345678"):
        assert chat.parse(text) == chat.Intent("link", "12345678"), text
    assert chat.parse("link 12345678") == chat.Intent("link", "12345678", "en")
    assert chat.parse("liên kết") == chat.Intent("link", None)
    assert chat.parse("liên kết 123") == chat.Intent("link", None)
    for text in ("hủy liên kết", "huỷ liên kết", "huy lien ket", "Xoá liên kết"):
        assert chat.parse(text) == chat.Intent("unlink"), text
    assert chat.parse("unlink") == chat.Intent("unlink", lang="en")


def test_help_and_anything_else():
    assert chat.parse("hướng dẫn") == chat.Intent("help")
    assert chat.parse("help") == chat.Intent("help", lang="en")
    assert chat.parse("?") == chat.Intent("help")
    assert chat.parse("nước nhà tôi bị đục") == chat.Intent("unknown")
    assert chat.parse(None) == chat.Intent("unknown")
    assert chat.parse("") == chat.Intent("unknown")


_KEYWORDS = st.sampled_from(["tra cứu", "tra cuu", "tracuu", "tc", "Tra Cứu", "TRA CỨU", "lookup", "hoá đơn"])


@settings(max_examples=300, deadline=None)
@given(
    _KEYWORDS,
    st.from_regex(r"\d{6,12}", fullmatch=True),
    st.sampled_from(["", " ", "  ", ":", " : ", "#"]),
    st.sampled_from(["", " ", ".", "!", " ?"]),
)
def test_the_customer_code_is_extracted_exactly(keyword, code, sep, tail):
    intent = chat.parse(f"{keyword}{sep or ' '}{code}{tail}")
    assert intent.kind == "lookup" and intent.code == code


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["liên kết", "lien ket", "lienket", "link", "LIÊN KẾT"]), st.from_regex(r"\d{8}", fullmatch=True)
)
def test_the_link_code_is_extracted_exactly(keyword, code):
    assert chat.parse(f"{keyword} {code}") == chat.Intent("link", code, "en" if keyword == "link" else "vi")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=2000))
def test_parse_never_raises_and_only_returns_codes_that_are_in_the_text(text):
    intent = chat.parse(text)
    assert intent.kind in ("lookup", "link", "unlink", "help", "unknown")
    if intent.code is not None:
        assert intent.code.isdigit() and intent.code in chat.fold(text)


# -- events --------------------------------------------------------------------


def _fb(events, obj="page"):
    return {"object": obj, "entry": [{"id": "PAGE", "time": 1, "messaging": events}]}


def test_facebook_events_are_read_from_every_entry_and_echoes_are_skipped():
    body = {
        "object": "page",
        "entry": [
            {
                "id": "P",
                "messaging": [
                    {
                        "sender": {"id": "111"},
                        "recipient": {"id": "P"},
                        "timestamp": 1700000000000,
                        "message": {"mid": "m.1", "text": "tra cứu 01031059"},
                    }
                ],
            },
            {
                "id": "P",
                "messaging": [
                    {"sender": {"id": "P"}, "message": {"mid": "m.2", "text": "echo", "is_echo": True}},
                    {"sender": {"id": "222"}, "timestamp": 1700000000001, "message": {"mid": "m.3", "text": "help"}},
                    {"sender": {"id": "333"}, "delivery": {"mids": ["m.1"]}},
                    {"sender": {"id": "444"}, "message": {"mid": "m.4", "attachments": []}},
                ],
            },
        ],
    }
    got = chat.facebook_messages(body)
    assert [(m.user_id, m.message_id, m.text, m.sent_at_ms) for m in got] == [
        ("111", "m.1", "tra cứu 01031059", 1700000000000),
        ("222", "m.3", "help", 1700000000001),
    ]
    assert chat.facebook_messages(_fb([{"sender": {"id": "1"}, "message": {"mid": "x", "text": "t"}}], "user")) == []


def test_zalo_text_event():
    body = {
        "app_id": "1",
        "event_name": "user_send_text",
        "timestamp": "1700000000000",
        "sender": {"id": "246845883529197922"},
        "recipient": {"id": "OA"},
        "message": {"text": "tc 01031059", "msg_id": "abc123"},
    }
    assert chat.zalo_message(body) == chat.ChatMessage(
        "zalo", "246845883529197922", "tc 01031059", "abc123", 1700000000000
    )
    assert chat.zalo_message(dict(body, event_name="follow")) is None
    assert chat.zalo_message(dict(body, sender={"id": "x y"})) is None


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda kids: (
            st.lists(kids, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "object",
                        "entry",
                        "messaging",
                        "sender",
                        "id",
                        "message",
                        "mid",
                        "text",
                        "event_name",
                        "msg_id",
                        "timestamp",
                        "is_echo",
                    ]
                ),
                kids,
                max_size=5,
            )
        ),
        max_leaves=30,
    )
)
def test_event_readers_never_raise_on_garbage(body):
    chat.facebook_messages(body)
    chat.zalo_message(body)
    chat.loads(json.dumps(body).encode())


def test_loads_refuses_what_is_not_a_json_object():
    assert chat.loads(b"[1]") is None and chat.loads(b"\xff") is None and chat.loads(b"{") is None
    assert chat.loads(b'{"a": 1}') == {"a": 1}


# -- replies -------------------------------------------------------------------

SUMMARY = {
    "invoice_id": "INV-01031059-202305",
    "customer_code": "01031059",
    "customer_name": "Dương Tấn Hiền",
    "period": "2023-05",
    "old_index": 264,
    "new_index": 275,
    "consumption_m3": 11,
    "total": 78255,
    "total_text": "78.255 đ",
    "due_date": "2023-06-15",
    "status": "unpaid",
}


def test_the_invoice_reply_in_vietnamese():
    text = chat.render_invoice(SUMMARY, "https://cskh.example.vn/pay?invoice=INV-01031059-202305")
    assert text == (
        "Mã KH 01031059 – kỳ 05/2023\nChỉ số: 264 → 275 (11 m³)\nSố tiền: 78.255 đ\n"
        "Hạn thanh toán: 15/06/2023\nTrạng thái: Chưa thanh toán\n"
        "Thanh toán: https://cskh.example.vn/pay?invoice=INV-01031059-202305"
    )
    assert "Dương" not in text  # the chat transcript carries no name


def test_a_paid_invoice_has_no_payment_link_and_english_works():
    text = chat.render_invoice(dict(SUMMARY, status="paid"), "https://x/pay", "en")
    assert "Status: Paid" in text and "https://x/pay" not in text and "Amount: 78.255 đ" in text


def test_the_how_to_link_reply_names_no_code():
    for lang in ("vi", "en"):
        assert not any(ch.isdigit() and ch != "8" for ch in chat.render_how_to_link(lang))


def test_link_codes_and_hashes():
    codes = {chat.new_link_code() for _ in range(200)}
    assert all(len(c) == 8 and c.isdigit() for c in codes) and len(codes) > 190
    assert chat.link_code_hash("k", "12345678") != chat.link_code_hash("k2", "12345678")
    assert chat.identity_key("k", "zalo", "1") != chat.identity_key("k", "facebook", "1")  # scoped per platform
    assert chat.user_hint("246845883529197922") == "…7922"
    assert len(chat.log_ref(chat.identity_key("k", "zalo", "1"))) == 12

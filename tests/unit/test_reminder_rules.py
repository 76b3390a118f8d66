"""Reminder rules: levels, due dates, quiet hours (Vietnam time), messages, the cron."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.config import ConfigError, load_settings
from chalicelib.domain import reminders as r

VN = r.VN_TZ


def vn(y, mo, d, h, mi=0, s=0):
    return datetime(y, mo, d, h, mi, s, tzinfo=VN)


def test_default_levels_and_the_due_dates_each_day_looks_at():
    assert [(lv.name, lv.offset_days) for lv in r.levels()] == [
        ("due_soon", -3),
        ("due_today", 0),
        ("overdue_7", 7),
        ("overdue_14", 14),
    ]
    looked = {lv.name: d for lv, d in r.due_dates_for(date(2024, 6, 15))}
    assert looked == {
        "due_soon": date(2024, 6, 18),
        "due_today": date(2024, 6, 15),
        "overdue_7": date(2024, 6, 8),
        "overdue_14": date(2024, 6, 1),
    }


def test_configured_levels():
    assert r.parse_offsets("14, -5,0,-1") == (-5, -1, 0, 14)
    assert [lv.name for lv in r.levels((-5, -1, 0, 30))] == ["due_in_5", "due_in_1", "due_today", "overdue_30"]
    for bad in ("", "x", "1,1", "-31", "0,1,2,3,4,5,6,7,8"):
        with pytest.raises(ValueError):
            r.parse_offsets(bad)
    with pytest.raises(ConfigError):
        load_settings({"REMINDER_LEVELS": "soon"})


def test_today_is_the_vietnam_date():
    # 18:30 UTC on 14 June is 01:30 on 15 June in Vietnam.
    assert r.vn_today(datetime(2024, 6, 14, 18, 30, tzinfo=UTC)) == date(2024, 6, 15)


def test_quiet_hours_default_lunch_and_night():
    q = r.QuietHours()
    assert not q.is_quiet(vn(2024, 6, 15, 8))
    assert q.is_quiet(vn(2024, 6, 15, 11)) and q.is_quiet(vn(2024, 6, 15, 13, 29, 59))
    assert not q.is_quiet(vn(2024, 6, 15, 13, 30))
    assert q.is_quiet(vn(2024, 6, 15, 21)) and q.is_quiet(vn(2024, 6, 15, 3)) and not q.is_quiet(vn(2024, 6, 15, 7))
    assert q.next_allowed(vn(2024, 6, 15, 12)) == vn(2024, 6, 15, 13, 30)
    assert q.next_allowed(vn(2024, 6, 15, 22)) == vn(2024, 6, 16, 7)  # past midnight
    assert q.next_allowed(vn(2024, 6, 15, 2)) == vn(2024, 6, 15, 7)
    assert q.next_allowed(vn(2024, 6, 15, 9, 15)) == vn(2024, 6, 15, 9, 15)  # not quiet: now
    # Given in UTC, answered in Vietnam time: 05:00 UTC is noon in Vietnam.
    assert q.next_allowed(datetime(2024, 6, 15, 5, tzinfo=UTC)) == vn(2024, 6, 15, 13, 30)
    assert q.delay_seconds(vn(2024, 6, 15, 12)) == 900  # capped: one SQS hop
    assert q.delay_seconds(vn(2024, 6, 15, 13, 25)) == 300
    assert q.delay_seconds(vn(2024, 6, 15, 10)) == 0


def test_quiet_hours_are_configurable_and_validated():
    s = load_settings({"REMINDER_QUIET_HOURS": "12:00-13:00, 22:00-06:30"})
    assert s.reminder_quiet_hours == ((720, 780), (1320, 390))
    assert load_settings({"REMINDER_QUIET_HOURS": ""}).reminder_quiet_hours == ()
    for bad in ("11-13", "25:00-01:00", "10:00-10:00", "00:00-12:00,12:00-00:00", "11:00"):
        with pytest.raises(ConfigError):
            load_settings({"REMINDER_QUIET_HOURS": bad})
    # Chained windows: 11:00-12:00 then 12:00-13:00 end at 13:00.
    q = r.QuietHours(r.parse_quiet("11:00-12:00,12:00-13:00"))
    assert q.next_allowed(vn(2024, 6, 15, 11, 10)) == vn(2024, 6, 15, 13)


_minute = st.integers(0, 24 * 60 - 1)
_windows = st.lists(st.tuples(_minute, _minute).filter(lambda w: w[0] != w[1]), max_size=4)
_instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))


@settings(max_examples=400, deadline=None)
@given(_windows, _instants)
def test_next_allowed_is_never_quiet_and_never_later_than_needed(windows, now):
    q = r.QuietHours(tuple(windows))
    if all(q.is_quiet_minute(m) for m in range(24 * 60)):
        return  # parse_quiet refuses a setting that never lets anything out
    at = q.next_allowed(now)
    assert at >= now
    assert not q.is_quiet(at)
    if at > now:
        # Every moment from now until then is quiet: nothing earlier was allowed.
        span = (at - now).total_seconds()
        for k in range(0, 60):
            assert q.is_quiet(now + timedelta(seconds=span * k / 60))
        assert q.is_quiet(at - timedelta(microseconds=1))
    delay = q.delay_seconds(now)
    assert (delay == 0) == (at == now)
    assert 0 <= delay <= 900


def test_vietnam_time_to_the_utc_cron():
    assert r.vn_time_to_utc_cron("08:00") == (0, 1)
    assert r.vn_time_to_utc_cron("06:30") == (30, 23)  # the UTC day before
    assert r.vn_time_to_utc_cron("07:00") == (0, 0)
    assert r.vn_time_to_utc_cron("23:59") == (59, 16)
    from chalicelib.jobs.reminders import vn_daily_cron

    assert vn_daily_cron("08:00").to_string() == "cron(0 1 * * ? *)"


def _compose(level_name, channel):
    level = r.find_level(level_name)
    return r.compose(
        level,
        channel,
        invoice_id="INV-01031059-202305",
        customer_code="01031059",
        period="2023-05",
        amount=78255,
        due_date="2023-06-15",
        link_base="https://cskh.example.vn/pay?invoice=",
    )


def test_messages_in_vietnamese_with_period_amount_due_date_and_link():
    email = _compose("due_soon", "email")
    assert "kỳ 05/2023" in email.text and "78.255 đ" in email.text and "15/06/2023" in email.text
    assert "https://cskh.example.vn/pay?invoice=INV-01031059-202305" in email.text
    assert "sắp đến hạn" in email.subject
    assert "hôm nay" in _compose("due_today", "push").text
    assert "quá hạn thanh toán 7 ngày" in _compose("overdue_7", "zalo").text
    sms = _compose("overdue_14", "sms")
    assert sms.text.isascii() and "qua han thanh toan 14 ngay" in sms.text and "78.255 d" in sms.text
    assert sms.text.startswith("CAWACO: Hoa don tien nuoc ky 05/2023")


def test_payment_link_is_quoted_and_may_be_a_template():
    assert r.payment_link("https://x.vn/pay?invoice=", "A B&C") == "https://x.vn/pay?invoice=A%20B%26C"
    assert r.payment_link("https://x.vn/i/{invoice_id}/pay", "INV-1") == "https://x.vn/i/INV-1/pay"
    with pytest.raises(ConfigError):
        load_settings({"PAYMENT_LINK_BASE": "http://example.vn/pay?invoice="})

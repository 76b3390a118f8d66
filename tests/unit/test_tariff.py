"""Pricing water with published tariffs: worked examples and properties."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chalicelib.domain import tariff as t
from chalicelib.domain.tariff_tables import published_versions

VERSIONS = published_versions()


def versions(key):
    return [v for v in VERSIONS if v.key == key]


JUNE = (date(2023, 6, 5), date(2023, 7, 5))  # 30 days, all under QĐ 13/2023


def bill(m3, key="camau-city#household", period=JUNE, persons=1):
    return t.price(m3, *period, versions(key), persons=persons)


def test_worked_example_camau_city_household_11_m3():
    b = bill(11)
    water = [(ln.quantity, ln.unit_price, ln.amount) for ln in b.lines if ln.kind == "water"]
    assert water == [(10, 6000, 60000), (1, 7450, 7450)]
    assert (b.subtotal, b.vat, b.env_fee, b.total) == (67450, 3373, 6745, 77568)  # VAT 3,372.5 rounds up
    assert b.proration == [] and b.tariff_ids == ("camau-city-household-2023-06",)


@pytest.mark.parametrize(
    "m3,subtotal", [(0, 0), (10, 60000), (20, 134500), (30, 217000), (31, 226100), (45, 217000 + 15 * 9100)]
)
def test_camau_tier_boundaries_are_exact(m3, subtotal):
    assert bill(m3).subtotal == subtotal


def test_districts_poor_households_and_flat_classes():
    assert bill(11, "camau-district#household").subtotal == 59000 + 7150
    assert bill(12, "camau-city#poor_household").subtotal == 49000 + 2 * 7150
    assert bill(7, "camau-city#public_service").subtotal == 7 * 8900
    assert bill(7, "camau-city#production").subtotal == 7 * 11150
    assert bill(7, "camau-district#business").subtotal == 7 * 12400


def test_cantho_2024_vat_included_price_is_what_the_customer_pays_for_water():
    b = bill(10, "cantho-urban#household", (date(2024, 2, 5), date(2024, 3, 5)))
    assert b.subtotal + b.vat == 90200  # 10 m³ x 9,020 VAT included
    assert b.subtotal == 85905 and b.vat == 4295  # 90,200 / 1.05 = 85,904.76
    assert b.env_fee == 8591  # 10 % of the pre-VAT amount
    rural = bill(10, "cantho-rural#household", (date(2024, 2, 5), date(2024, 3, 5)))
    assert rural.subtotal + rural.vat == 82400


def test_period_across_two_versions_is_prorated_by_days():
    b = bill(30, "cantho-urban#household", (date(2024, 1, 16), date(2024, 2, 15)))
    assert b.tariff_ids == ("cantho-urban-household-2019-02", "cantho-urban-household-2024-02")
    assert len(b.proration) == 2 and "15 days" in b.proration[0] and "tiers x0.5" in b.proration[0]
    # 15 m³ under 2019 tiers halved (5/5/5 m³ at 5,500/6,800/7,600) + 15 m³ at 9,020, VAT included.
    assert b.subtotal + b.vat == 5 * 5500 + 5 * 6800 + 5 * 7600 + 15 * 9020


def test_a_long_period_scales_the_tiers():
    b = bill(30, period=(date(2023, 6, 5), date(2023, 8, 4)))  # 60 days: two months of allowance
    assert b.subtotal == 20 * 6000 + 10 * 7450 and "tiers x2" in b.proration[0]


def test_per_person_norms():
    norm = t.validate(
        t.TariffVersion(
            tariff_id="demo-per-person",
            area="demo",
            customer_class="household",
            valid_from=date(2023, 1, 1),
            pricing="per_person",
            tiers=(t.Tier(4, 5000), t.Tier(6, 7000), t.Tier(None, 9000)),
            legal_ref="demo",
        )
    )
    b = t.price(30, *JUNE, [norm], persons=4)  # 16 m³ at 5,000, 8 at 7,000, 6 at 9,000
    assert b.subtotal == 16 * 5000 + 8 * 7000 + 6 * 9000


def test_no_tariff_in_force_is_an_error():
    with pytest.raises(t.TariffError):
        bill(5, period=(date(2023, 5, 1), date(2023, 6, 1)))
    with pytest.raises(t.TariffError):
        bill(-1)
    with pytest.raises(t.TariffError):
        bill(5, period=(date(2023, 7, 5), date(2023, 7, 5)))


@pytest.mark.parametrize(
    "tiers,error",
    [
        ((), "at least one"),
        ((t.Tier(10, 6000),), "last tier"),
        ((t.Tier(10, 6000), t.Tier(10, 7000), t.Tier(None, 8000)), "above 10"),
        ((t.Tier(20, 6000), t.Tier(10, 7000), t.Tier(None, 8000)), "above 20"),
        ((t.Tier(10, 0), t.Tier(None, 7000)), "price"),
        ((t.Tier(10, 6000.5), t.Tier(None, 7000)), "price"),
    ],
)
def test_invalid_tiers_are_refused(tiers, error):
    with pytest.raises(t.TariffError, match=error):
        t.validate(
            t.TariffVersion(
                tariff_id="bad-one",
                area="demo",
                customer_class="household",
                valid_from=date(2024, 1, 1),
                pricing="tiers",
                tiers=tiers,
                legal_ref="x",
            )
        )


def test_json_form_round_trips_and_rejects_garbage():
    for v in VERSIONS:
        assert t.version_from_dict(t.version_to_dict(v)) == v
    for bad in (
        {},
        {"tiers": "x"},
        dict(t.version_to_dict(VERSIONS[0]), valid_from="01/06/2023"),
        dict(t.version_to_dict(VERSIONS[0]), customer_class="vip"),
    ):
        with pytest.raises(t.TariffError):
            t.version_from_dict(bad)


KEYS = sorted({v.key for v in VERSIONS})
periods = st.builds(
    lambda start, days: (start, start + timedelta(days=days)),
    st.dates(date(2019, 3, 1), date(2026, 12, 31)),
    st.integers(1, 120),
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(KEYS), st.integers(0, 5000), periods, st.integers(1, 12))
def test_lines_add_up_to_the_total(key, m3, period, persons):
    try:
        b = bill(m3, key, period, persons)
    except t.TariffError:
        assume(False)
    assert sum(ln.amount for ln in b.lines) == b.total
    assert sum(ln.amount for ln in b.lines if ln.kind == "water") == b.subtotal
    assert all(isinstance(ln.amount, int) and ln.amount >= 0 for ln in b.lines)
    for ln in (ln for ln in b.lines if ln.kind == "water"):
        assert abs(ln.amount - ln.exact) < 1 + Fraction(1, 10**6)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(KEYS), st.integers(0, 3000), periods)
def test_total_never_falls_when_consumption_rises(key, m3, period):
    try:
        lower, higher = bill(m3, key, period), bill(m3 + 1, key, period)
    except t.TariffError:
        assume(False)
    assert higher.total >= lower.total and higher.subtotal >= lower.subtotal


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([k for k in KEYS if k.startswith("cantho")]),
    st.integers(0, 3000),
    st.dates(date(2024, 2, 1), date(2026, 1, 1)),
)
def test_vat_included_tables_reproduce_the_published_price(key, m3, start):
    b = bill(m3, key, (start, start + timedelta(days=30)))
    [version] = [v for v in versions(key) if v.valid_from.year == 2024]
    assert b.subtotal + b.vat == m3 * version.tiers[0].price


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(KEYS),
    st.integers(0, 3000),
    st.dates(date(2024, 3, 1), date(2026, 1, 1)),
    st.integers(27, 33),
    st.data(),
)
def test_splitting_a_month_under_one_tariff_changes_nothing(key, m3, start, days, data):
    """Proration preserves the total: a whole month priced in two parts under
    the same tariff costs exactly what it costs in one."""
    [version] = [v for v in versions(key) if v.valid_from <= start][-1:]
    cut = data.draw(st.integers(1, days - 1))
    twin = t.TariffVersion(
        **{**version.__dict__, "tariff_id": version.tariff_id + "-again", "valid_from": start + timedelta(days=cut + 1)}
    )
    end = start + timedelta(days=days)
    whole = t.price(m3, start, end, [version])
    split = t.price(m3, start, end, [version, twin])
    assert len(split.proration) == 2
    assert (split.subtotal, split.vat, split.env_fee, split.total) == (
        whole.subtotal,
        whole.vat,
        whole.env_fee,
        whole.total,
    )


def test_round_half_up():
    assert [t.round_half_up(Fraction(n, 2)) for n in range(6)] == [0, 1, 1, 2, 2, 3]


def test_per_m3_charges_have_their_own_lines_and_vat():
    [base] = list(versions("camau-city#household"))
    with_drainage = t.validate(
        t.TariffVersion(
            **{
                **base.__dict__,
                "tariff_id": "demo-drainage",
                "charges": (t.Charge("drainage", "Dịch vụ thoát nước", 1200, 10),),
            }
        )
    )
    b = t.price(11, *JUNE, [with_drainage])
    charge = [ln for ln in b.lines if ln.kind == "charge"]
    assert [(ln.description, ln.amount) for ln in charge] == [("Dịch vụ thoát nước", 13200)]
    assert b.charges == 13200 + 1320 and b.total == 77568 + 14520
    assert sum(ln.amount for ln in b.lines) == b.total

"""Published water tariffs shipped as data, each with its legal reference.
Sources and what is confirmed: docs/tariffs.md. Prices in VND per m³.

- Cà Mau, QĐ 13/2023/QĐ-UBND (UBND tỉnh Cà Mau, signed 2023-05-15), in force
  2023-06-01, prices before VAT; VAT 5 % and the waste-water fee 10 % on top.
- Cần Thơ, QĐ 04/2019/QĐ-UBND (UBND TP Cần Thơ, signed 2019-02-12), prices
  VAT included, household tiers per household and month.
- Cần Thơ, QĐ 215/QĐ-UBND (2024-02-01), prices VAT included, one price per
  class, urban and rural areas; the waste-water fee (10 % of the pre-VAT
  price) is billed on top.
"""

from __future__ import annotations

from datetime import date

from chalicelib.domain.tariff import TariffVersion, Tier, validate

CA_MAU_2023 = "QĐ 13/2023/QĐ-UBND (UBND tỉnh Cà Mau, 15/05/2023), áp dụng từ 01/06/2023; giá chưa gồm thuế GTGT"
CAN_THO_2019 = "QĐ 04/2019/QĐ-UBND (UBND TP Cần Thơ, 12/02/2019); giá đã gồm thuế GTGT"
CAN_THO_2024 = "QĐ 215/QĐ-UBND (UBND TP Cần Thơ, 01/02/2024), áp dụng từ 01/02/2024; giá đã gồm thuế GTGT"


def _tiers(*pairs: tuple[int | None, int]) -> tuple[Tier, ...]:
    return tuple(Tier(up_to, price) for up_to, price in pairs)


def _flat(price: int) -> tuple[Tier, ...]:
    return (Tier(None, price),)


def _ca_mau() -> list[TariffVersion]:
    out = []
    for area, household in (("camau-city", (6000, 7450, 8250, 9100)), ("camau-district", (5900, 7150, 7900, 8850))):
        rows = {
            "household": (
                "tiers",
                _tiers((10, household[0]), (20, household[1]), (30, household[2]), (None, household[3])),
            ),
            "poor_household": ("tiers", _tiers((10, 4900), (None, 7150))),
            "public_service": ("flat", _flat(8900)),
            "production": ("flat", _flat(11150)),
            "business": ("flat", _flat(12400)),
        }
        for cls, (pricing, tiers) in rows.items():
            out.append(
                TariffVersion(
                    tariff_id=f"{area}-{cls.replace('_', '-')}-2023-06",
                    area=area,
                    customer_class=cls,
                    valid_from=_d("2023-06-01"),
                    pricing=pricing,
                    tiers=tiers,
                    legal_ref=CA_MAU_2023,
                    utility="CAWACO",
                    prices_include_vat=False,
                )
            )
    return out


def _can_tho() -> list[TariffVersion]:
    out = []
    rows_2019 = {
        "household": ("tiers", _tiers((10, 5500), (20, 6800), (30, 7600), (None, 8700))),
        "poor_household": ("flat", _flat(4000)),
        "public_service": ("flat", _flat(8000)),
        "production": ("flat", _flat(8900)),
        "business": ("flat", _flat(11100)),
    }
    rows_2024 = {  # (urban, rural)
        "household": (9020, 8240),
        "poor_household": (5640, 4820),
        "public_service": (11170, 9310),
        "production": (12400, 9930),
        "business": (15580, 11520),
    }
    for area, column in (("cantho-urban", 0), ("cantho-rural", 1)):
        for cls, (pricing, tiers) in rows_2019.items():
            out.append(
                TariffVersion(
                    tariff_id=f"{area}-{cls.replace('_', '-')}-2019-02",
                    area=area,
                    customer_class=cls,
                    valid_from=_d("2019-02-12"),
                    pricing=pricing,
                    tiers=tiers,
                    legal_ref=CAN_THO_2019,
                    utility="CTNCT",
                    prices_include_vat=True,
                )
            )
        for cls, prices in rows_2024.items():
            out.append(
                TariffVersion(
                    tariff_id=f"{area}-{cls.replace('_', '-')}-2024-02",
                    area=area,
                    customer_class=cls,
                    valid_from=_d("2024-02-01"),
                    pricing="flat",
                    tiers=_flat(prices[column]),
                    legal_ref=CAN_THO_2024,
                    utility="CTNCT",
                    prices_include_vat=True,
                )
            )
    return out


def _d(iso: str) -> date:
    return date.fromisoformat(iso)


def published_versions() -> list[TariffVersion]:
    return [validate(v) for v in _ca_mau() + _can_tho()]

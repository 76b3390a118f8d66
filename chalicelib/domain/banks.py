"""The banks a VietQR transfer can reach, by BIN: the 6-digit identifier that VietQR's template 38
carries as the beneficiary bank ("Acquirer ID / BNB ID"). Data, with where each number comes from.
Pure.

Public lists disagree, so each entry says its source (docs/vietqr.md has the comparison):

    SBV       the State Bank's list of the BINs it issued, to 31/12/2023 (Công văn 1589/NHNN-TT,
              2024, "V/v thông báo danh sách mã BIN", appendix). NAPAS's VietQR specification
              says the beneficiary bank is named by "mã BIN cấp bởi NHNN".
    VIETQR_IO the bank list of VietQR.io (https://api.vietqr.io/v2/banks), the list most bank and
              payment libraries copy (compared as copied in public code; the API was not called).
              It agrees with SBV on every SBV bank below except CIMB (see `disputed`) and SinoPac
              (not in it), and adds identifiers for banks SBV did not list (foreign banks'
              branches, digital banks); those entries have this source only.

Names are SBV's (a bank renamed since, e.g. LPBank from LienVietPostBank, keeps its BIN). The
short codes of the banks that send us statement files are statements.BANKS' codes (VCB, AGR,
CTG, ...), so one bank has one code in this system; the others take VietQR.io's codes, written
as 2-10 capital letters like every bank code here (VietQR.io's "IBK - HN" is IBKHN).
Finance companies (SBV also lists them: 970460, 970464, 970468, 970470) are left out: a
utility does not receive bill payments into one.
"""

from __future__ import annotations

from dataclasses import dataclass

SBV = "SBV"
VIETQR_IO = "VIETQR_IO"


@dataclass(frozen=True)
class Bank:
    bin: str
    code: str
    short_name: str  # as bank apps and receipts show it
    name: str  # the legal name, SBV's wording
    sources: tuple[str, ...]  # who lists this BIN for this bank
    disputed: str = ""  # what another list says instead


BANKS: tuple[Bank, ...] = (
    # -- the banks of statements.BANKS, with their codes there ----------------------------------
    Bank("970436", "VCB", "Vietcombank", "Ngân hàng TMCP Ngoại thương Việt Nam", (SBV, VIETQR_IO)),
    Bank(
        "970405",
        "AGR",
        "Agribank",
        "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam",
        (SBV, VIETQR_IO),
    ),
    Bank("970403", "STB", "Sacombank", "Ngân hàng TMCP Sài Gòn Thương Tín", (SBV, VIETQR_IO)),
    Bank("970418", "BIDV", "BIDV", "Ngân hàng Đầu tư và Phát triển Việt Nam", (SBV, VIETQR_IO)),
    Bank("970415", "CTG", "VietinBank", "Ngân hàng TMCP Công Thương Việt Nam", (SBV, VIETQR_IO)),
    Bank("970407", "TCB", "Techcombank", "Ngân hàng TMCP Kỹ Thương Việt Nam", (SBV, VIETQR_IO)),
    Bank("970422", "MB", "MB Bank", "Ngân hàng TMCP Quân Đội", (SBV, VIETQR_IO)),
    Bank("970416", "ACB", "ACB", "Ngân hàng TMCP Á Châu", (SBV, VIETQR_IO)),
    Bank("970432", "VPB", "VPBank", "Ngân hàng TMCP Việt Nam Thịnh Vượng", (SBV, VIETQR_IO)),
    Bank("970443", "SHB", "SHB", "Ngân hàng TMCP Sài Gòn – Hà Nội", (SBV, VIETQR_IO)),
    Bank("970437", "HDB", "HDBank", "Ngân hàng TMCP Phát triển TP.HCM", (SBV, VIETQR_IO)),
    Bank("970449", "LPB", "LPBank", "Ngân hàng TMCP Bưu Điện Liên Việt (nay Lộc Phát Việt Nam)", (SBV, VIETQR_IO)),
    Bank("970448", "OCB", "OCB", "Ngân hàng TMCP Phương Đông", (SBV, VIETQR_IO)),
    # -- other commercial banks SBV lists (VietQR.io's codes) -----------------------------------
    Bank("970423", "TPB", "TPBank", "Ngân hàng TMCP Tiên Phong", (SBV, VIETQR_IO)),
    Bank("970441", "VIB", "VIB", "Ngân hàng TMCP Quốc Tế Việt Nam", (SBV, VIETQR_IO)),
    Bank("970426", "MSB", "MSB", "Ngân hàng TMCP Hàng Hải", (SBV, VIETQR_IO)),
    Bank("970431", "EIB", "Eximbank", "Ngân hàng TMCP Xuất Nhập khẩu Việt Nam", (SBV, VIETQR_IO)),
    Bank("970440", "SEAB", "SeABank", "Ngân hàng TMCP Đông Nam Á", (SBV, VIETQR_IO)),
    Bank("970428", "NAB", "Nam A Bank", "Ngân hàng TMCP Nam Á", (SBV, VIETQR_IO)),
    Bank("970400", "SGICB", "Saigonbank", "Ngân hàng TMCP Sài Gòn Công Thương", (SBV, VIETQR_IO)),
    Bank("970406", "DOB", "DongA Bank", "Ngân hàng TMCP Đông Á", (SBV, VIETQR_IO)),
    Bank("970408", "GPB", "GPBank", "Ngân hàng TNHH Một Thành Viên Dầu Khí Toàn Cầu", (SBV, VIETQR_IO)),
    Bank("970409", "BAB", "Bac A Bank", "Ngân hàng TMCP Bắc Á", (SBV, VIETQR_IO)),
    Bank("970412", "PVCB", "PVcomBank", "Ngân hàng TMCP Đại Chúng Việt Nam", (SBV, VIETQR_IO)),
    Bank("970414", "OCEANBANK", "OceanBank", "Ngân hàng TNHH Một Thành Viên Đại Dương", (SBV, VIETQR_IO)),
    Bank("970419", "NCB", "NCB", "Ngân hàng TMCP Quốc Dân", (SBV, VIETQR_IO)),
    Bank("970421", "VRB", "VRB", "Ngân hàng Liên doanh Việt Nga", (SBV, VIETQR_IO)),
    Bank("970425", "ABB", "ABBANK", "Ngân hàng TMCP An Bình", (SBV, VIETQR_IO)),
    Bank("970427", "VAB", "VietABank", "Ngân hàng TMCP Việt Á", (SBV, VIETQR_IO)),
    Bank("970429", "SCB", "SCB", "Ngân hàng TMCP Sài Gòn", (SBV, VIETQR_IO)),
    Bank("970430", "PGB", "PGBank", "Ngân hàng TMCP Xăng dầu Petrolimex", (SBV, VIETQR_IO)),
    Bank("970433", "VIETBANK", "VietBank", "Ngân hàng TMCP Việt Nam Thương Tín", (SBV, VIETQR_IO)),
    Bank("970438", "BVB", "BaoViet Bank", "Ngân hàng TMCP Bảo Việt", (SBV, VIETQR_IO)),
    Bank("970444", "CBB", "CBBank", "Ngân hàng TNHH Một Thành Viên Xây Dựng Việt Nam", (SBV, VIETQR_IO)),
    Bank("970446", "COOPBANK", "Co-opBank", "Ngân hàng Hợp Tác Xã Việt Nam", (SBV, VIETQR_IO)),
    Bank("970452", "KLB", "KienlongBank", "Ngân hàng TMCP Kiên Long", (SBV, VIETQR_IO)),
    Bank("970454", "VCCB", "BVBank", "Ngân hàng TMCP Bản Việt", (SBV, VIETQR_IO)),
    Bank("970410", "SCVN", "Standard Chartered", "Ngân hàng TNHH Một Thành Viên Standard Chartered", (SBV, VIETQR_IO)),
    Bank("970424", "SHBVN", "Shinhan Bank", "Ngân hàng TNHH Một Thành Viên Shinhan Việt Nam", (SBV, VIETQR_IO)),
    Bank("970434", "IVB", "Indovina Bank", "Ngân hàng TNHH Indovina", (SBV, VIETQR_IO)),
    Bank("970439", "PBVN", "Public Bank", "Ngân hàng TNHH Một Thành Viên Public Việt Nam", (SBV, VIETQR_IO)),
    Bank("970442", "HLBVN", "Hong Leong Bank", "Ngân hàng TNHH Một Thành Viên Hong Leong Việt Nam", (SBV, VIETQR_IO)),
    Bank("970457", "WVN", "Woori Bank", "Ngân hàng TNHH Một Thành Viên Woori Bank Việt Nam", (SBV, VIETQR_IO)),
    Bank("970458", "UOB", "UOB", "Ngân hàng TNHH Một Thành Viên UOB Việt Nam", (SBV, VIETQR_IO)),
    Bank(
        "970459",
        "CIMB",
        "CIMB",
        "Ngân hàng TNHH Một Thành Viên CIMB Việt Nam",
        (SBV,),
        disputed="VietQR.io lists CIMB under 422589",
    ),
    Bank("970455", "IBKHN", "IBK Hà Nội", "Ngân hàng Công nghiệp Hàn Quốc - Chi nhánh Hà Nội", (SBV, VIETQR_IO)),
    Bank(
        "970456",
        "IBKHCM",
        "IBK TP.HCM",
        "Ngân hàng Industrial Bank of Korea - Chi nhánh Hồ Chí Minh",
        (SBV, VIETQR_IO),
    ),
    Bank("970462", "KBHN", "Kookmin Hà Nội", "Ngân hàng Kookmin - Chi nhánh Hà Nội", (SBV, VIETQR_IO)),
    Bank("970463", "KBHCM", "Kookmin TP.HCM", "Ngân hàng Kookmin - Chi nhánh Tp. Hồ Chí Minh", (SBV, VIETQR_IO)),
    Bank("970466", "KEBHANAHCM", "KEB Hana TP.HCM", "Ngân hàng KEB HANA - Chi nhánh Tp. Hồ Chí Minh", (SBV, VIETQR_IO)),
    Bank("970467", "KEBHANAHN", "KEB Hana Hà Nội", "Ngân hàng KEB HANA - Chi nhánh Hà Nội", (SBV, VIETQR_IO)),
    Bank("970465", "SINOPAC", "SinoPac", "Ngân hàng SINOPAC - Chi nhánh Tp. Hồ Chí Minh", (SBV,)),
    # -- identifiers VietQR.io lists that are not in SBV's BIN list -----------------------------
    Bank("458761", "HSBC", "HSBC", "Ngân hàng TNHH Một Thành Viên HSBC (Việt Nam)", (VIETQR_IO,)),
    Bank("533948", "CITIBANK", "Citibank", "Ngân hàng Citibank, N.A. - Chi nhánh Hà Nội", (VIETQR_IO,)),
    Bank("796500", "DBS", "DBS Bank", "DBS Bank Ltd - Chi nhánh Thành phố Hồ Chí Minh", (VIETQR_IO,)),
    Bank("801011", "NHBHN", "Nonghyup", "Ngân hàng Nonghyup - Chi nhánh Hà Nội", (VIETQR_IO,)),
    Bank("668888", "KBANK", "KBank", "Ngân hàng Đại chúng TNHH Kasikornbank", (VIETQR_IO,)),
    Bank("999888", "VBSP", "VBSP", "Ngân hàng Chính sách Xã hội", (VIETQR_IO,)),
)

BY_BIN: dict[str, Bank] = {bank.bin: bank for bank in BANKS}
BY_CODE: dict[str, Bank] = {bank.code: bank for bank in BANKS}


def by_bin(bin_: str) -> Bank | None:
    return BY_BIN.get(bin_)

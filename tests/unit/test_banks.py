"""The bank BIN list (chalicelib/domain/banks.py): one bank per BIN and per code, every bank of the
statement files under its code there, and each entry's source said (docs/vietqr.md)."""

from __future__ import annotations

import re

from chalicelib.domain import banks, statements
from chalicelib.domain.identifiers import LINE_ID


def test_bins_and_codes_are_unique_and_well_formed():
    assert len({b.bin for b in banks.BANKS}) == len(banks.BANKS)
    assert len({b.code for b in banks.BANKS}) == len(banks.BANKS)
    for bank in banks.BANKS:
        assert re.fullmatch(r"[0-9]{6}", bank.bin), bank
        # A bank code is also the first part of a statement line id: LINE_ID's 2-10 capitals.
        assert re.fullmatch(r"[A-Z]{2,10}", bank.code) and re.match(LINE_ID, f"{bank.code}#FT1"), bank
        assert bank.short_name and bank.name and bank.sources, bank
        assert set(bank.sources) <= {banks.SBV, banks.VIETQR_IO}, bank
    assert banks.BY_BIN["970436"] is banks.BY_CODE["VCB"] is banks.by_bin("970436")
    assert banks.by_bin("000000") is None


def test_every_bank_of_the_statement_files_is_here_under_the_same_code():
    for code in statements.BANKS:
        if code == statements.TREASURY:
            continue  # the State Treasury is not a NAPAS bank: no BIN
        assert code in banks.BY_CODE, code
    assert {c for c in statements.BANKS if c != statements.TREASURY} == {
        "VCB", "AGR", "STB", "BIDV", "CTG", "TCB", "MB", "ACB", "VPB", "SHB", "HDB", "LPB", "OCB"
    }  # fmt: skip


def test_the_common_banks_and_their_sbv_bins():
    # SBV, Công văn 1589/NHNN-TT (2024), the BINs issued to 31/12/2023.
    expected = {
        "VCB": "970436", "AGR": "970405", "STB": "970403", "BIDV": "970418", "CTG": "970415", "TCB": "970407",
        "MB": "970422", "ACB": "970416", "VPB": "970432", "SHB": "970443", "HDB": "970437", "LPB": "970449",
        "OCB": "970448", "TPB": "970423", "VIB": "970441", "MSB": "970426", "EIB": "970431", "SEAB": "970440",
        "NAB": "970428", "SGICB": "970400", "KLB": "970452", "VCCB": "970454", "ABB": "970425", "BAB": "970409",
    }  # fmt: skip
    for code, bin_ in expected.items():
        bank = banks.BY_CODE[code]
        assert bank.bin == bin_ and banks.SBV in bank.sources, bank


def test_where_the_lists_disagree_it_is_said():
    disputed = [b for b in banks.BANKS if b.disputed]
    assert [b.code for b in disputed] == ["CIMB"] and "422589" in disputed[0].disputed
    only_vietqr_io = {b.code for b in banks.BANKS if b.sources == (banks.VIETQR_IO,)}
    assert only_vietqr_io == {"HSBC", "CITIBANK", "DBS", "NHBHN", "KBANK", "VBSP"}
    assert all(not b.bin.startswith("9704") for b in banks.BANKS if b.code in only_vietqr_io)
    # Finance companies are on SBV's list but receive no bill payments: left out.
    assert not {"970460", "970464", "970468", "970470"} & set(banks.BY_BIN)

"""The packaging check of the Lambda zip's native code (infra/native_check.py): a native
extension that needs a newer glibc than the runtime's, or one built on the packaging machine,
fails packaging; Pillow, which no code path uses, is left out."""

from __future__ import annotations

import _ctypes
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra import native_check
from infra.native_check import PackagingError, check_zip, enforce, required_glibc, required_symbol_versions

ROOT = Path(__file__).resolve().parents[2]
SO = "fakeext/_speedups.cpython-311-x86_64-linux-gnu.so"


def elf_needing(*versions: str, library: str = "libc.so.6") -> bytes:
    """A minimal little-endian ELF64 shared object whose .gnu.version_r section needs `versions`
    of `library`: what the dynamic loader (and the check) reads, nothing else."""
    strtab = b"\0" + library.encode() + b"\0"
    name_at = {}
    for v in versions:
        name_at[v] = len(strtab)
        strtab += v.encode() + b"\0"
    # Verneed (16 bytes) then one Vernaux (16 bytes) per version.
    verneed = struct.pack("<HHIII", 1, len(versions), 1, 16, 0)
    for i, v in enumerate(versions):
        last = i == len(versions) - 1
        verneed += struct.pack("<IHHII", 0, 0, i + 2, name_at[v], 0 if last else 16)
    header_size, section_size = 64, 64
    strtab_off = header_size
    verneed_off = strtab_off + len(strtab)
    shoff = verneed_off + len(verneed)
    shoff += -shoff % 8
    body = strtab + verneed
    body += b"\0" * (shoff - header_size - len(body))
    sections = [
        struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        struct.pack("<IIQQQQIIQQ", 0, 3, 0, 0, strtab_off, len(strtab), 0, 0, 1, 0),  # SHT_STRTAB
        struct.pack("<IIQQQQIIQQ", 0, 0x6FFFFFFE, 0, 0, verneed_off, len(verneed), 1, 1, 8, 0),
    ]
    ident = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    header = ident + struct.pack(
        "<HHIQQQIHHHHHH", 3, 62, 1, 0, 0, shoff, 0, header_size, 0, 0, section_size, len(sections), 0
    )
    return header + body + b"".join(sections)


def wheel_zip(path: Path, so_bytes: bytes, tag: str = "cp311-cp311-manylinux_2_17_x86_64", record: bool = True):
    """A deployment zip holding one distribution ('fakeext') with one native extension."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("app.py", "print('hi')\n")
        zf.writestr(SO, so_bytes)
        zf.writestr("fakeext-1.0.dist-info/WHEEL", f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n")
        listed = [SO] if record else []
        zf.writestr(
            "fakeext-1.0.dist-info/RECORD",
            "".join(f"{n},," + "\n" for n in [*listed, "fakeext-1.0.dist-info/WHEEL", "fakeext-1.0.dist-info/RECORD"]),
        )
    return path


def test_the_fixture_reads_back():
    elf = elf_needing("GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_2.17")
    assert required_symbol_versions(elf) == {"GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_2.17"}
    assert required_glibc(elf) == (2, 34)


def test_a_real_extension_module_of_this_interpreter_is_read():
    # The same parser on a real shared object: CPython's _ctypes needs some GLIBC_2.x.
    needs = required_glibc(Path(_ctypes.__file__).read_bytes())
    assert needs is not None and needs >= (2, 2)


def test_an_extension_needing_glibc_2_34_fails_packaging_for_python3_11(tmp_path):
    zip_path = wheel_zip(tmp_path / "deployment.zip", elf_needing("GLIBC_2.2.5", "GLIBC_2.34"))
    problems = check_zip(zip_path, "python3.11")
    assert problems == [f"{SO}: needs GLIBC_2.34, python3.11 has glibc 2.26"]
    with pytest.raises(PackagingError, match=r"GLIBC_2\.34"):
        enforce(zip_path, "python3.11")
    # Amazon Linux 2023 (python3.12 and later) has glibc 2.34: the same zip passes.
    assert check_zip(zip_path, "python3.12") == []


def test_an_extension_within_the_runtimes_glibc_passes(tmp_path):
    zip_path = wheel_zip(tmp_path / "deployment.zip", elf_needing("GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.14"))
    assert check_zip(zip_path, "python3.11") == []
    assert enforce(zip_path, "python3.11") == []


def test_a_wheel_built_on_the_packaging_machine_fails(tmp_path):
    # What Chalice ships when no wheel suits the runtime: it builds the sdist here (tag linux_x86_64).
    zip_path = wheel_zip(tmp_path / "deployment.zip", elf_needing("GLIBC_2.2.5"), tag="cp311-cp311-linux_x86_64")
    [problem] = check_zip(zip_path, "python3.11")
    assert "built from source on the packaging machine" in problem


def test_a_wheel_tagged_for_a_newer_glibc_fails(tmp_path):
    tag = "cp311-cp311-manylinux_2_27_x86_64"
    zip_path = wheel_zip(tmp_path / "deployment.zip", elf_needing("GLIBC_2.2.5"), tag=tag)
    [problem] = check_zip(zip_path, "python3.11")
    assert "glibc 2.27" in problem
    assert check_zip(zip_path, "python3.13") == []


def test_a_native_extension_no_wheel_lists_fails(tmp_path):
    zip_path = wheel_zip(tmp_path / "deployment.zip", elf_needing("GLIBC_2.2.5"), record=False)
    assert check_zip(zip_path, "python3.11") == [f"{SO}: a native extension no wheel's RECORD lists"]


def test_pillow_is_left_out_even_when_built_here(tmp_path):
    zip_path = tmp_path / "deployment.zip"
    pil_so = "PIL/_imaging.cpython-311-x86_64-linux-gnu.so"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("app.py", "")
        zf.writestr(pil_so, elf_needing("GLIBC_2.34"))
        zf.writestr("PIL/__init__.py", "")
        zf.writestr("pillow-13.0.0.dist-info/WHEEL", "Tag: cp311-cp311-linux_x86_64\n")
        zf.writestr("pillow-13.0.0.dist-info/RECORD", f"{pil_so},,\nPIL/__init__.py,,\n")
    assert len(check_zip(zip_path, "python3.11")) == 2
    assert enforce(zip_path, "python3.11") == ["pillow-13.0.0.dist-info"]
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == ["app.py"]


def test_every_lambda_python_runtime_chalice_can_choose_has_a_known_glibc():
    from chalice.deploy.packager import DependencyBuilder

    chalice_table = DependencyBuilder._RUNTIME_GLIBC
    for runtime, glibc in native_check.RUNTIME_GLIBC.items():
        assert chalice_table["cp" + runtime.removeprefix("python").replace(".", "")] == glibc


def test_the_invoice_pdf_renders_without_pillow():
    # Pillow is not in the zip: the PDF (QR included) must not need it, and say nothing about it.
    code = (
        "import sys, warnings; sys.modules['PIL'] = None; warnings.simplefilter('error');"
        "from tests.unit.test_invoice_pdf import demo_invoice, SELLER, QR;"
        "from chalicelib.documents.invoice_pdf import render_invoice_pdf;"
        "pdf = render_invoice_pdf(demo_invoice(), SELLER, QR); assert pdf.startswith(b'%PDF');"
        "print(sorted({m.split('.')[0] for m in sys.modules if sys.modules[m] is not None} & {'PIL', 'fpdf'}))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['fpdf']"

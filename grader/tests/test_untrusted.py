"""Reading what the child wrote: every bound holds before anything is inflated or parsed."""

import io
import struct
import zipfile

import numpy as np
import pytest

from grader.cases import save_npz
from grader.untrusted import OutputError, json_depth, load_outputs, parse_status, zip_directory


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    save_npz(buf, arrays)
    return buf.getvalue()


def test_plain_outputs_round_trip_and_only_the_asked_keys_are_read():
    """Are the asked keys read back exactly, and is a key nobody asked for never returned?"""
    data = npz_bytes({"out": np.arange(6.0).reshape(2, 3), "extra": np.ones(3)})
    got = load_outputs(data, ["out", "missing"], max_bytes=1 << 20)
    assert list(got) == ["out"] and np.array_equal(got["out"], np.arange(6.0).reshape(2, 3))


def test_inflating_past_the_budget_is_refused():
    """Does a member that inflates past max_bytes fail before it is all in memory?"""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf, zf.open("out.npy", "w") as fh:
        np.lib.format.write_array(fh, np.zeros(4 << 20), allow_pickle=False)  # 32 MB of zeros
    assert len(buf.getvalue()) < 1 << 20
    with pytest.raises(OutputError, match="larger than allowed"):
        load_outputs(buf.getvalue(), ["out"], max_bytes=1 << 20)


def test_too_many_members_are_refused_from_the_end_record():
    """Is an archive listing thousands of entries refused by its end record, before zipfile parses them?"""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(3000):
            zf.writestr(f"m{i}.npy", b"")
    assert zip_directory(buf.getvalue())[0] == 3000
    with pytest.raises(OutputError, match="3000 entries"):
        load_outputs(buf.getvalue(), ["out"], max_bytes=1 << 20)


def test_an_end_record_that_lies_about_its_count_is_caught_by_the_directory_size():
    """When the end record says 1 entry but the central directory holds 3,000, is the archive still refused?"""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(3000):
            zf.writestr(f"m{i}.npy", b"")
    data = bytearray(buf.getvalue())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = struct.pack("<HH", 1, 1)
    with pytest.raises(OutputError, match="entries"):
        load_outputs(bytes(data), ["out"], max_bytes=1 << 20)


@pytest.mark.parametrize(
    ("array", "why"),
    [(np.array(["a", "b"]), "dtype"), (np.zeros(2, dtype=[("x", "f8")]), "dtype"), (np.zeros((2, 2), "V8"), "dtype")],
)
def test_arrays_that_are_not_plain_numbers_are_refused(array, why):
    """Are strings, records and raw bytes refused, naming the output?"""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, zf.open("out.npy", "w") as fh:
        np.lib.format.write_array(fh, array, allow_pickle=False)
    with pytest.raises(OutputError, match=f"'out'.*{why}"):
        load_outputs(buf.getvalue(), ["out"], max_bytes=1 << 20)


def test_a_header_that_claims_more_data_than_there_is_is_refused():
    """Does a header whose shape does not match the bytes that follow fail cleanly (no huge allocation)?"""
    text = repr({"descr": "<f8", "fortran_order": False, "shape": (10**12,)}).encode()
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    raw = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + b"\0" * 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("out.npy", raw)
    with pytest.raises(OutputError, match="does not match its header"):
        load_outputs(buf.getvalue(), ["out"], max_bytes=1 << 20)


def test_status_files_are_flat_and_nesting_is_refused_unparsed():
    """Is a flat status read (brackets inside strings allowed), and deep nesting refused without recursing?"""
    assert (
        parse_status(b'{"status": "error", "error": "shapes [3, [4]] and {5}"}')["error"] == "shapes [3, [4]] and {5}"
    )
    assert json_depth(b'{"a": "[[[[", "b": [1, [2]]}') == 3
    with pytest.raises(OutputError):
        parse_status(b'{"status": "ok", "x": ' + b"[" * 50000 + b"]" * 50000 + b"}")

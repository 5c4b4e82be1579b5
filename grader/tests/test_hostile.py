"""Hostile submissions: nothing a student's code does earns points it did not earn honestly.

Each attack in ``hostile/`` is a whole toy_pkg/ops.py. Every test checks, besides its own
question: (a) each case scores exactly what the honest part of the file is worth, (b) the
grading ends within ``BOUND_S``, (c) no process of a sandbox user is left, (d) the results
document is valid Gradescope JSON. The toy is worth 6: add 3 (add_small, add_broadcast,
add_signs), scale 2 (scale_values), row_sums 1 (row_sums_values).

These run the full sandbox (sandbox users, namespaces, cgroups), so they need root; in strict
mode a missing isolation feature is an error, never a silent fallback.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from grader import gradescope
from grader.cases import load_npz
from grader.check import reference_files
from grader.grade import grade

pytestmark = [
    pytest.mark.usefixtures("strict"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the full sandbox (and these attacks' safety) needs root"),
]

HERE = Path(__file__).resolve().parent
TOY = HERE / "fixtures" / "toy"
REFERENCE = TOY / "toy_pkg" / "ops.py"
REPO = HERE.parents[1]
BOUND_S = 30.0  # wall-clock bound of one grading, whatever the submission does
CASES_OF = {
    "add": ("add_small", "add_broadcast", "add_signs"),
    "scale": ("scale_values",),
    "row_sums": ("row_sums_values",),
}
POINTS = {
    "add_small": 1.0,
    "add_broadcast": 1.0,
    "add_signs": 1.0,
    "scale_values": 2.0,
    "row_sums_values": 1.0,
}


def hostile(name: str) -> str:
    return (HERE / "hostile" / f"{name}.py").read_text()


def honest(*functions: str) -> dict[str, float]:
    """Score of each case when exactly ``functions`` are right."""
    right = {case for f in functions for case in CASES_OF[f]}
    return {case: (points if case in right else 0.0) for case, points in POINTS.items()}


def by_case(doc: dict) -> dict[str, dict]:
    return {t["tags"][-1]: t for t in doc["tests"]}


def scores(doc: dict) -> dict[str, float]:
    return {name: t["score"] for name, t in by_case(doc).items()}


def valid(doc: dict) -> dict:
    """(d): the document passes the Gradescope schema and is plain JSON (no NaN)."""
    gradescope.validate(doc)
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc
    return doc


def timed_grade(grade_source, src: str):
    start = time.monotonic()
    graded = grade_source(src)
    return graded, time.monotonic() - start


def check(graded, seconds: float, leftover, expected: dict[str, float]) -> dict:
    """(a)-(d) for one in-process grading; returns the results document."""
    doc = valid(graded.results)
    assert scores(doc) == expected, json.dumps(doc["tests"], indent=1)[:3000]
    assert doc["score"] == graded.score == sum(expected.values())
    assert seconds < BOUND_S, f"grading took {seconds:.1f} s"
    assert leftover() == []
    return doc


def cli(
    submission: Path, results: Path, timeout: float = 2 * BOUND_S, status: int = 0
) -> tuple[subprocess.CompletedProcess, dict]:
    """``python -m grader grade TOY SUBMISSION --results RESULTS``, strict, in a subprocess; its
    exit status must be ``status`` (2: the submission could not be read)."""
    proc = subprocess.run(
        cli_argv(submission, results),
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == status, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc, valid(json.loads(results.read_text()))


def cli_argv(submission: Path, results: Path) -> list[str]:
    return [sys.executable, "-m", "grader", "grade", str(TOY), str(submission), "--results", str(results)]


def cli_env() -> dict[str, str]:
    return {**os.environ, "GRADER_STRICT": "1", "PYTHONPATH": str(REPO)}


def folder_with(tmp_path: Path, src: str, name: str = "sub") -> Path:
    sub = tmp_path / name / "toy_pkg"
    sub.mkdir(parents=True)
    (sub / "ops.py").write_text(src)
    return sub.parent


# --------------------------------------------------------------------------- forged results


def test_forged_status_files_earn_nothing(grade_source, leftover_processes):
    """Do "ok" status files with made-up outputs, written by the student's code for other cases, earn anything?"""
    graded, seconds = timed_grade(grade_source, hostile("forge_results"))
    doc = valid(graded.results)
    got = scores(doc)
    # add is honest; the forgery's os._exit costs add_signs, which never ran: at most honest.
    assert got["add_small"] == got["add_broadcast"] == 1.0
    assert got["scale_values"] == got["row_sums_values"] == 0.0
    assert "outside tolerance" in by_case(doc)["scale_values"]["output"], "the forged outputs were not compared"
    assert doc["score"] <= sum(honest("add").values())
    assert "FORGED" not in json.dumps(doc)
    assert seconds < BOUND_S
    assert leftover_processes() == []


def test_forged_results_file_is_replaced_through_the_cli(tmp_path, leftover_processes):
    """When --results sits in a folder the child can write (like /tmp), is the file the grader's own, and is
    nothing written through a symlink planted at the grader's temporary name?"""
    folder = Path(tempfile.mkdtemp(prefix="hostile-results-"))
    try:
        os.chmod(folder, 0o1777)  # world-writable and sticky, as /tmp
        canary = folder / "canary.txt"
        canary.write_text("canary\n")
        results = folder / "results.json"
        start = time.monotonic()
        proc, doc = cli(folder_with(tmp_path, hostile("forge_results")), results)
        seconds = time.monotonic() - start
        assert "PLANTED" in doc["output"] and "WROTE" in doc["output"], "the attack did not reach the folder"
        assert results.is_file() and not results.is_symlink()
        assert results.stat().st_uid == 0
        assert canary.read_text() == "canary\n"
        assert doc["score"] <= sum(honest("add").values())
        assert len(doc["tests"]) == 5 and "FORGED" not in doc["output"]
        assert f"results written to {results}" in proc.stdout
        assert seconds < BOUND_S
        assert leftover_processes() == []
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- ending the child


@pytest.mark.parametrize(
    ("attack", "message"),
    [("exit_sys_import", "sys.exit(0)"), ("exit_os_import", "ended the grading process early")],
)
def test_exit_at_import_scores_nothing(grade_source, leftover_processes, attack, message):
    """Does a module that exits while it is imported fail every case with a reason (and not stop grading)?"""
    graded, seconds = timed_grade(grade_source, hostile(attack))
    doc = check(graded, seconds, leftover_processes, honest())
    assert len(doc["tests"]) == 5
    assert all(message in t["output"] for t in doc["tests"])


def test_exit_inside_a_function_costs_only_that_function(grade_source, leftover_processes):
    """Do sys.exit(0) in scale and os._exit(0) in row_sums cost only their own cases?"""
    graded, seconds = timed_grade(grade_source, hostile("exit_in_function"))
    doc = check(graded, seconds, leftover_processes, honest("add"))
    tests = by_case(doc)
    assert "sys.exit(0)" in tests["scale_values"]["output"]
    assert "ended the grading process early" in tests["row_sums_values"]["output"]


# --------------------------------------------------------------------------- resources


def test_infinite_loop_times_out_alone(grade_source, leftover_processes, toy):
    """Does a function that never returns time out on its own case while the others still score?"""
    graded, seconds = timed_grade(grade_source, hostile("infinite_loop"))
    doc = check(graded, seconds, leftover_processes, honest("add", "row_sums"))
    assert "time limit" in by_case(doc)["scale_values"]["output"]
    assert seconds >= toy.limits.case_time_floor_s


def test_fork_storm_is_contained(grade_source, leftover_processes, toy):
    """Are forks capped, and are processes that left the process group with setsid killed?"""
    graded, seconds = timed_grade(grade_source, hostile("fork_storm"))
    doc = check(graded, seconds, leftover_processes, honest("add", "scale"))
    forked = int(doc["output"].split("FORKED ", 1)[1].split()[0])
    assert 0 < forked < toy.limits.max_processes
    assert "time limit" in by_case(doc)["row_sums_values"]["output"]


def test_memory_hog_is_killed_and_named(grade_source, leftover_processes):
    """Is a function that touches 4 GB killed and reported as memory, without blaming a later failure on memory?"""
    graded, seconds = timed_grade(grade_source, hostile("memory_hog"))
    doc = check(graded, seconds, leftover_processes, honest("add"))
    tests = by_case(doc)
    assert "memory" in tests["scale_values"]["output"]
    assert "exited with status 3" in tests["row_sums_values"]["output"]
    assert "memory" not in tests["row_sums_values"]["output"]


def test_output_flood_is_capped(grade_source, leftover_processes, toy):
    """Is 300 MB of printing capped, without costing the honest cases anything?"""
    graded, seconds = timed_grade(grade_source, hostile("output_flood"))
    doc = check(graded, seconds, leftover_processes, honest("add", "scale", "row_sums"))
    assert "printed 314572800 characters" in doc["output"]
    assert len(json.dumps(doc)) < 64 * 1024 + toy.limits.max_output_kb * 1024


def test_huge_file_is_stopped_with_a_reason(grade_source, leftover_processes):
    """Is a file over max_file_mb stopped (EFBIG, or SIGXFSZ when the code restores it), with a clear reason?"""
    graded, seconds = timed_grade(grade_source, hostile("big_file"))
    doc = check(graded, seconds, leftover_processes, honest("add"))
    tests = by_case(doc)
    assert "File too large" in tests["scale_values"]["output"]
    assert "SIGXFSZ" in tests["row_sums_values"]["output"]
    assert "larger than allowed" in tests["row_sums_values"]["output"]


# --------------------------------------------------------------------------- network


def test_network_is_unreachable(grade_source, leftover_processes):
    """Can the child reach a listener on the host's 127.0.0.1, an abstract unix socket, or the outside?"""
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract = f"hostile-{os.getpid()}-{time.monotonic_ns()}"
    try:
        tcp.bind(("127.0.0.1", 0))
        unix.bind("\0" + abstract)
        for s in (tcp, unix):
            s.listen(8)
            s.setblocking(False)
        port = tcp.getsockname()[1]
        src = (
            hostile("network")
            .replace("PORT = 0", f"PORT = {port}")
            .replace('ABSTRACT = ""', f'ABSTRACT = "{abstract}"')
        )
        graded, seconds = timed_grade(grade_source, src)
        doc = check(graded, seconds, leftover_processes, honest("add"))
        assert "BLOCKED ('127.0.0.1'" in doc["output"], "the attack did not run"
        assert "REACHED" not in doc["output"]
        for s in (tcp, unix):
            with pytest.raises(BlockingIOError):
                s.accept()
    finally:
        tcp.close()
        unix.close()


# --------------------------------------------------------------------------- the submission itself

SHADOWS = {
    "conftest.py": "raise SystemExit('conftest.py from the submission was imported')\n",
    "numpy.py": "raise ImportError('numpy.py from the submission was imported')\n",
    "pytest.py": "raise ImportError('pytest.py from the submission was imported')\n",
    "sitecustomize.py": "import os\nos._exit(0)\n",
    "usercustomize.py": "import os\nos._exit(0)\n",
    "grader/__init__.py": "",
    "grader/child.py": "import sys\nsys.exit(0)\n",
    "grader/cases.py": "raise ImportError('grader/cases.py from the submission was imported')\n",
    "toy_pkg/__init__.py": "import os\nos._exit(0)\n",
    "toy_pkg/helpers.py": "def row_sums_impl(x):\n    return x.sum(axis=1)\n",
    "toy_pkg/numpy.py": "raise ImportError('toy_pkg/numpy.py from the submission was imported')\n",
}


def test_shadowing_files_in_the_zip_are_ignored(tmp_path, leftover_processes):
    """Are conftest.py, numpy.py, pytest.py, grader/ and extra package files shipped in the zip ignored?"""
    z = tmp_path / "submission.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("toy_pkg/ops.py", hostile("shadow_ops"))
        for name, text in SHADOWS.items():
            zf.writestr(name, text)
    start = time.monotonic()
    _, doc = cli(z, tmp_path / "results.json")
    seconds = time.monotonic() - start
    assert scores(doc) == honest("add", "scale")
    assert doc["score"] == 5.0
    assert seconds < BOUND_S
    assert leftover_processes() == []


def test_zip_slip_writes_nothing_outside(tmp_path, grade_source, toy, leftover_processes):
    """Are zip members with .., absolute paths and symlinks skipped, nothing written outside, the legit file graded?"""
    token = f"{os.getpid()}-{time.monotonic_ns()}"
    evil = f"evil-{token}.py"
    z = tmp_path / "slip.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("toy_pkg/ops.py", hostile("add_only"))
        for depth in (1, 2, 3, 8):
            zf.writestr("../" * depth + evil, "print('escaped')\n")
        zf.writestr("..\\..\\..\\" + evil, "print('escaped')\n")
        zf.writestr(f"/tmp/abs-{token}.py", "print('escaped')\n")
        for name, target in (("passwd", "/etc/passwd"), ("escape", "/tmp"), ("other/ops.py", str(REFERENCE))):
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
        zf.writestr(f"escape/{evil}", "print('escaped')\n")
    start = time.monotonic()
    graded = grade(toy, z)
    seconds = time.monotonic() - start
    doc = check(graded, seconds, leftover_processes, honest("add"))
    assert "ignored zip entries" in doc["output"] and "unsafe path or link" in doc["output"]
    written = [p for p in (Path("/") / evil, Path("/tmp") / evil, Path(f"/tmp/abs-{token}.py")) if p.exists()]
    written += [Path(d) / f for d, _, fs in os.walk("/tmp") for f in fs if token in f]
    written += list(tmp_path.rglob(f"*{token}*"))
    assert written == []


@pytest.mark.parametrize("link", ["file", "folder"])
def test_symlinks_in_a_submitted_folder_are_not_followed(tmp_path, toy, strict, leftover_processes, link):
    """Does a submitted folder whose ops.py (or toy_pkg/) is a symlink to the reference count as missing?"""
    sub = tmp_path / "sub"
    sub.mkdir()
    if link == "file":
        (sub / "toy_pkg").mkdir()
        (sub / "toy_pkg" / "ops.py").symlink_to(REFERENCE)
    else:
        (sub / "toy_pkg").symlink_to(REFERENCE.parent, target_is_directory=True)
    start = time.monotonic()
    graded = grade(toy, sub)
    doc = check(graded, time.monotonic() - start, leftover_processes, honest())
    assert "Missing from your submission" in doc["output"]


@pytest.mark.parametrize("kind", ["bomb", "many_files"])
def test_zip_bombs_and_too_many_files_fail_clearly(tmp_path, toy, leftover_processes, kind):
    """Does a zip that unpacks past the size limit, or holds too many entries, give score 0 and a clear message?"""
    z = tmp_path / f"{kind}.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("toy_pkg/ops.py", REFERENCE.read_text())
        if kind == "bomb":
            zf.writestr("data.bin", b"\0" * (toy.max_zip_mb * 5 * 2**20 + 2**20))
        else:
            for i in range(toy.max_zip_files + 1):
                zf.writestr(f"f/{i}.txt", "")
    assert z.stat().st_size < 2**20
    start = time.monotonic()
    _, doc = cli(z, tmp_path / "results.json", status=2)
    seconds = time.monotonic() - start
    assert doc["score"] == 0 and doc["tests"] == []
    assert "could not grade this submission" in doc["output"] and "limit" in doc["output"]
    assert seconds < BOUND_S
    assert leftover_processes() == []


def test_missing_file_is_reported_and_every_case_still_listed(tmp_path, toy, strict, leftover_processes):
    """Without ops.py, does every case still appear, failed, with a message naming the missing file?"""
    z = tmp_path / "s.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "I forgot the code\n")
        zf.writestr("toy_pkg/opps.py", hostile("add_only"))
    start = time.monotonic()
    graded = grade(toy, z)
    doc = check(graded, time.monotonic() - start, leftover_processes, honest())
    assert "Missing from your submission" in doc["output"] and "toy_pkg/ops.py" in doc["output"]
    assert len(doc["tests"]) == 5
    assert all("Not found in your submission: toy_pkg/ops.py" in t["output"] for t in doc["tests"])


def test_syntax_error_fails_every_case_with_its_message(grade_source, leftover_processes):
    """Does a file that does not parse fail every case with the SyntaxError and its line?"""
    # Made here, not kept in hostile/: a .py that does not parse would break the linter.
    good = "def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:"
    src = hostile("add_only")
    line = src[: src.index(good)].count("\n") + 1
    graded, seconds = timed_grade(grade_source, src.replace(good, "def add(a, b)"))
    doc = check(graded, seconds, leftover_processes, honest())
    assert len(doc["tests"]) == 5
    assert all("SyntaxError" in t["output"] and f"line {line}" in t["output"] for t in doc["tests"])


# --------------------------------------------------------------------------- lies


@pytest.mark.parametrize(
    ("attack", "right"),
    [("lie_eq_subclass", ("scale", "row_sums")), ("lie_array_protocol", ("scale",)), ("lie_values", ())],
)
def test_lying_objects_pass_nothing(grade_source, leftover_processes, attack, right):
    """Do lying ndarray subclasses, __array__ zeros, dict subclasses, NaN, object and complex arrays all fail?"""
    graded, seconds = timed_grade(grade_source, hostile(attack))
    check(graded, seconds, leftover_processes, honest(*right))


def test_numpy_monkey_patching_changes_nothing(grade_source, leftover_processes):
    """Does patching np.allclose, np.isnan, np.load... in the child leave the score at the honest part?"""
    graded, seconds = timed_grade(grade_source, hostile("numpy_patch"))
    check(graded, seconds, leftover_processes, honest("add"))


# --------------------------------------------------------------------------- secrets


def test_expected_outputs_and_reference_are_unreadable(grade_source, leftover_processes):
    """Can the child read the oracle, the reference ops.py, or the course repository (and exec its way to points)?"""
    src = hostile("read_expected").replace('REPO = "/work/main"', f'REPO = "{REPO}"')
    graded, seconds = timed_grade(grade_source, src)
    doc = check(graded, seconds, leftover_processes, honest("add"))
    assert "SEARCHED" in doc["output"], "the attack did not run to its end"
    assert "LEAK" not in doc["output"], doc["output"]


# --------------------------------------------------------------------------- the grader itself


def test_killing_the_parent_and_chmod_do_not_stop_grading(grade_source, leftover_processes):
    """Do SIGKILL to the parent, to every pid and to -1, and chmod 000 on the child's folders leave grading intact?"""
    graded, seconds = timed_grade(grade_source, hostile("kill_parent"))
    doc = check(graded, seconds, leftover_processes, honest("add"))
    assert "NOT SANDBOXED" not in doc["output"] and "SIGNALLED" in doc["output"]


def _concurrent_in_processes(tmp_path: Path, sources: dict[str, str]) -> dict[str, dict]:
    """Grade each source through the command line, all at once; results documents by name."""
    procs = {
        name: subprocess.Popen(
            cli_argv(folder_with(tmp_path, src, name), tmp_path / f"{name}.json"),
            cwd=REPO,
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, src in sources.items()
    }
    outs = {name: p.communicate(timeout=2 * BOUND_S)[0] for name, p in procs.items()}
    assert all(p.returncode == 0 for p in procs.values()), outs
    return {name: json.loads((tmp_path / f"{name}.json").read_text()) for name in procs}


def _concurrent_in_threads(tmp_path: Path, sources: dict[str, str], toy) -> dict[str, dict]:
    """Grade each source in a thread of this process, all at once; results documents by name."""
    docs: dict[str, dict] = {}

    def run(name: str, src: str) -> None:
        docs[name] = grade(toy, None, student_files={"toy_pkg/ops.py": src.encode()}).results

    threads = [threading.Thread(target=run, args=item) for item in sources.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(2 * BOUND_S)
    return docs


@pytest.mark.parametrize("how", ["processes", "threads"])
def test_two_gradings_at_once_do_not_interfere(tmp_path, toy, leftover_processes, how):
    """Do two gradings at the same time get different sandbox users, so a hostile one can neither kill nor read
    the other?"""
    sources = {"victim": hostile("slow_honest"), "attacker": hostile("neighbour")}
    start = time.monotonic()
    if how == "processes":
        docs = _concurrent_in_processes(tmp_path, sources)
    else:
        docs = _concurrent_in_threads(tmp_path, sources, toy)
    seconds = time.monotonic() - start
    assert sorted(docs) == ["attacker", "victim"]
    for doc in docs.values():
        assert scores(valid(doc)) == honest("add", "scale", "row_sums")
    uids = {name: doc["output"].split("UID ", 1)[1].split()[0] for name, doc in docs.items()}
    assert uids["victim"] != uids["attacker"]
    out = docs["attacker"]["output"]
    assert "NOT SANDBOXED" not in out
    assert int(out.split("SAW ", 1)[1].split()[0]) >= 1, "the gradings did not overlap"
    assert "LEAK" not in out, out
    assert seconds < BOUND_S
    assert leftover_processes() == []


def test_nothing_left_behind_reaches_a_later_grading(grade_source, leftover_processes):
    """Can a grading pick up answers an earlier submission left in /tmp, /var/tmp, /dev/shm, /run/lock or System V
    shared memory (as in ``batch``, where submissions are graded one after another on one machine)?"""
    graded, seconds = timed_grade(grade_source, hostile("stash_writer"))
    doc = check(graded, seconds, leftover_processes, honest("add", "scale", "row_sums"))
    assert "STASHED /tmp" in doc["output"] and "STASHED shm" in doc["output"], "the attack could not stash"
    graded, seconds = timed_grade(grade_source, hostile("stash_reader"))
    doc = check(graded, seconds, leftover_processes, honest("add"))
    assert "NOTHING FOUND" in doc["output"] and "FOUND /" not in doc["output"]


def test_reference_still_scores_full_after_the_corpus(grade_source, toy, leftover_processes):
    """After all the attacks above, does the honest reference still score 6/6?"""
    src = reference_files(toy)["toy_pkg/ops.py"].decode()
    graded, seconds = timed_grade(grade_source, src)
    check(graded, seconds, leftover_processes, honest("add", "scale", "row_sums"))
    assert graded.score == graded.max_score == 6.0


def test_the_hosts_temp_folders_are_invisible(grade_source, leftover_processes, tmp_path):
    """Can the child read a world-readable file in the host's /tmp (an autograder zip someone built there)?"""
    secret = Path(tempfile.mkdtemp(prefix="grader-host-", dir="/tmp")) / "oracle-copy.txt"
    secret.write_text("the answers")
    os.chmod(secret.parent, 0o755)
    os.chmod(secret, 0o644)
    try:
        attack = hostile("add_only") + (
            "\n\ntry:\n"
            f"    print('LEAK', open({str(secret)!r}).read(), flush=True)\n"
            "except OSError as exc:\n"
            "    print('HIDDEN', type(exc).__name__, flush=True)\n"
        )
        graded, seconds = timed_grade(grade_source, attack)
        doc = check(graded, seconds, leftover_processes, honest("add"))
        assert "HIDDEN FileNotFoundError" in doc["output"] and "LEAK" not in doc["output"], doc["output"]
    finally:
        shutil.rmtree(secret.parent, ignore_errors=True)


# --------------------------------------------------------------------------- answers the handout holds


def _lookup_table_source(toy) -> str:
    """A submission that implements nothing: each function looks its inputs up in a table of the
    answers for every case's unsalted inputs (those a student can rebuild from the case files and
    the handout), and returns zeros for any input it does not know."""
    from grader.casefiles import load_cases, staff_imports

    table = {}
    refs = {"add": lambda a, b: a + b, "scale": lambda x, s: x * s, "row_sums": lambda x: x.sum(axis=1)}
    with staff_imports(toy):
        for case, _ in load_cases(toy):
            inputs, _ = case.build_inputs("")
            fn = {"add": "add", "sca": "scale", "row": "row_sums"}[case.name[:3]]
            args = [inputs[k] for k in ("a", "b", "x", "s") if k in inputs]
            out = refs[fn](*[float(a) if a.ndim == 0 else a for a in args])
            key = "|".join(repr(np.asarray(a).tolist()) for a in args)
            table[key] = (np.asarray(out).tolist(), list(np.shape(out)))
    return (
        "import numpy as np\n\n"
        f"TABLE = {table!r}\n\n\n"
        "def _look(shape, *args):\n"
        "    key = '|'.join(repr(np.asarray(a).tolist()) for a in args)\n"
        "    if key in TABLE:\n"
        "        values, shape = TABLE[key]\n"
        "        print('HIT', flush=True)\n"
        "        return np.array(values).reshape(shape)\n"
        "    print('MISS', flush=True)\n"
        "    return np.zeros(shape)\n\n\n"
        "def add(a, b):\n    return _look(np.broadcast_shapes(np.shape(a), np.shape(b)), a, b)\n\n\n"
        "def scale(x, s):\n    return _look(np.shape(x), x, s)\n\n\n"
        "def row_sums(x):\n    return _look(np.shape(x)[:1], x)\n"
    )


def test_a_lookup_table_of_the_unsalted_answers_earns_nothing(grade_source, leftover_processes, toy):
    """Does a submission that returns the answers for the inputs a student can rebuild (the public expected
    values, the hidden cases' inputs recomputed from their code) earn anything, now that graded inputs are salted?"""
    graded, seconds = timed_grade(grade_source, _lookup_table_source(toy))
    doc = check(graded, seconds, leftover_processes, honest())
    assert "MISS" in doc["output"] and "HIT" not in doc["output"], doc["output"]


def test_the_graded_inputs_differ_from_the_handouts_and_the_reference_still_scores_full(toy, tmp_path):
    """Are the public cases' graded inputs and expected outputs different from the handout's (public/), while the
    handout's files are exactly the unsalted run?"""
    from grader import oracle as oracle_mod
    from grader.casefiles import load_cases, staff_imports
    from grader.layout import PUBLIC_DIR

    dest = oracle_mod.build(toy, tmp_path / "oracle", salt="test-salt")
    with staff_imports(toy):
        case = next(c for c, pub in load_cases(toy) if pub)
        public_inputs, _ = case.build_inputs("")
    handout_in = load_npz(dest / PUBLIC_DIR / f"{case.name}.in.npz")
    graded_in = load_npz(dest / f"{case.name}.in.npz")
    assert all(np.array_equal(public_inputs[k], handout_in[k]) for k in public_inputs)
    assert not any(np.array_equal(graded_in[k], handout_in[k]) for k in graded_in)
    meta = json.loads((dest / oracle_mod.ORACLE_FILE).read_text())
    assert "test-salt" not in json.dumps(meta)


def test_an_accuracy_case_on_the_handouts_sample_is_refused(toy, tmp_path, monkeypatch):
    """Does building the oracle refuse a point-bearing case whose secret labels are the same with and without the
    salt (graded on data the handout holds), and name it?"""
    from grader import oracle as oracle_mod

    fixture = tmp_path / "toy"
    shutil.copytree(TOY, fixture)
    hidden = fixture / "grading" / "cases.py"
    hidden.write_text(
        hidden.read_text().replace(
            "    a = rng.standard_normal((50,))\n", "    a = np.linspace(-1, 1, 50)  # fixed data, as a sample\n"
        )
    )
    from grader.manifest import load_manifest

    with pytest.raises(oracle_mod.OracleError, match=r"add_signs.*held-out data"):
        oracle_mod.build(load_manifest(fixture), tmp_path / "oracle", salt="s")


# --------------------------------------------------------------------------- hidden values in messages


def test_hidden_messages_hold_no_number_the_expected_value_follows_from(grade_source, leftover_processes):
    """When a hidden case is wrong by a constant, does its message say where and roughly how badly, without the
    student's value or the exact error (from which expected = got - error)?"""
    src = hostile("add_only") + "\n\ndef scale(x, s):\n    return x * s + 0.125\n"
    graded, seconds = timed_grade(grade_source, src)
    doc = check(graded, seconds, leftover_processes, honest("add"))
    msg = by_case(doc)["scale_values"]["output"]
    assert "outside tolerance" in msg and "worst at" in msg and "times the tolerance" in msg, msg
    assert "0.125" not in msg and "got" not in msg and "expected" not in msg.split("tolerance (")[0], msg


# --------------------------------------------------------------------------- the clock


def test_a_case_cannot_stop_its_own_clock(grade_source, leftover_processes, toy):
    """Does a case that writes its own 'done' line and then runs past its limit lose its points (the trusted side
    keeps the clock), while the grading stays bounded?"""
    graded, seconds = timed_grade(grade_source, hostile("early_done"))
    doc = valid(graded.results)
    got = scores(doc)
    assert got["scale_values"] == 0.0, by_case(doc)["scale_values"]["output"]
    assert got["add_small"] == got["add_broadcast"] == got["add_signs"] == 1.0
    assert doc["score"] <= sum(honest("add", "row_sums").values())
    assert seconds < BOUND_S
    assert leftover_processes() == []


def test_a_lingering_thread_does_not_hold_the_grading_open(grade_source, leftover_processes, toy):
    """Does a thread left sleeping by the student's code let the grading end when the last case is done?"""
    graded, seconds = timed_grade(grade_source, hostile("lingering_thread"))
    check(graded, seconds, leftover_processes, honest("add", "scale", "row_sums"))
    assert seconds < toy.limits.case_time_floor_s + 10, f"grading took {seconds:.1f} s"


def test_case_limits_follow_the_reference(toy):
    """Is a case's limit 20 times the reference's time, within the floor and the cap, unless the case declares one?"""
    from grader.casefiles import load_cases
    from grader.grade import case_time_limits

    cases = load_cases(toy)
    names = [c.name for c, _ in cases]
    meta = {names[0]: {"seconds": 0.001}, names[1]: {"seconds": 0.24}, names[2]: {"seconds": 9.0}}
    limits = case_time_limits(toy, cases, meta)
    floor, cap = toy.limits.case_time_floor_s, toy.limits.case_time_limit_s
    assert limits[names[0]] == floor and limits[names[1]] == pytest.approx(min(cap, max(floor, 4.8)))
    assert limits[names[2]] == cap and limits[names[3]] == cap  # no time known: the cap


# --------------------------------------------------------------------------- a bounded trusted process

PEAK_MB = 300  # the trusted process's peak resident memory, whatever the child writes (toy: tiny outputs)


def test_the_trusted_process_stays_bounded_whatever_the_child_writes(tmp_path, leftover_processes):
    """A 1 GB zip bomb, 20,000 npz members, a nested status file, a lone surrogate and 64 MB of progress lines:
    does each cost only its own case, is results.json strict JSON, and does the grader stay under PEAK_MB?"""
    sub = folder_with(tmp_path, hostile("bloat_outputs"))
    results = tmp_path / "results.json"
    script = (
        "import json, sys\n"
        "from grader import gradescope\n"
        "from grader.grade import grade\n"
        "from grader.manifest import load_manifest\n"
        f"g = grade(load_manifest({str(TOY)!r}), __import__('pathlib').Path({str(sub)!r}))\n"
        f"gradescope.write(__import__('pathlib').Path({str(results)!r}), g.results)\n"
        # VmHWM, not ru_maxrss: the latter keeps the RSS of the process that spawned this one
        "print('PEAK_KB', [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])\n"
    )
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=120
    )
    seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    peak_mb = int(proc.stdout.split("PEAK_KB ")[1].split()[0]) / 1024
    raw = results.read_bytes()
    doc = json.loads(raw.decode("utf-8"), parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert "\\ud8" not in raw.decode("utf-8").lower()
    valid(doc)
    tests = by_case(doc)
    assert "status file" in tests["add_small"]["output"]
    assert "bad ? value" in tests["add_broadcast"]["output"] or "bad \ufffd value" in tests["add_broadcast"]["output"]
    assert "larger than allowed" in tests["scale_values"]["output"]
    assert "entries" in tests["row_sums_values"]["output"]
    assert doc["score"] <= 1.0  # only add_signs answers honestly, after its flood
    assert "internal error" not in json.dumps(doc)
    assert peak_mb < PEAK_MB, f"the grader peaked at {peak_mb:.0f} MB"
    assert seconds < 2 * BOUND_S
    assert leftover_processes() == []


def test_a_surrogate_in_a_message_still_gives_valid_results_through_the_cli(tmp_path, leftover_processes):
    """Does `grade` exit 0 and write strict UTF-8 JSON when the student's exception message holds a lone
    surrogate?"""
    src = hostile("add_only") + "\n\ndef scale(x, s):\n    raise ValueError('bad \\ud800 scale')\n"
    results = tmp_path / "results.json"
    proc, doc = cli(folder_with(tmp_path, src), results)
    results.read_bytes().decode("utf-8")  # strict
    assert "bad ? scale" in by_case(doc)["scale_values"]["output"]
    assert proc.returncode == 0


# --------------------------------------------------------------------------- nothing survives


def test_the_outputs_folder_has_a_quota(grade_source, leftover_processes):
    """Can the child fill the host's disk through its outputs folder (thousands of files, hundreds of MB)?"""
    graded, seconds = timed_grade(grade_source, hostile("fill_outputs"))
    doc = valid(graded.results)
    files, size = (int(x) for x in doc["output"].split("WROTE ", 1)[1].split()[:2])
    assert files < 1000 and size < 100 * 2**20, (files, size)
    assert seconds < BOUND_S
    assert leftover_processes() == []


@pytest.fixture
def mqueue_mounted():
    """/dev/mqueue mounted, as Docker mounts it (mounted here for the test when it is missing)."""
    path = Path("/dev/mqueue")
    made = mounted = False
    if not os.path.ismount(path):
        if not path.exists():
            path.mkdir()
            made = True
        mounted = subprocess.run(["mount", "-t", "mqueue", "mqueue", str(path)], capture_output=True).returncode == 0
    try:
        yield path if os.path.ismount(path) else None
    finally:
        with contextlib.suppress(OSError):
            (path / "grader-stash-file").unlink()
        if mounted:
            subprocess.run(["umount", str(path)], check=False)
        if made:
            with contextlib.suppress(OSError):
                path.rmdir()


def test_keyrings_and_message_queues_are_closed(grade_source, leftover_processes, mqueue_mounted):
    """Can the child leave answers in a kernel keyring (shared with the grader's session, kept per user) or a POSIX
    message queue, where a later or concurrent grading would find them?"""
    graded, seconds = timed_grade(grade_source, hostile("ipc_stash"))
    doc = check(graded, seconds, leftover_processes, honest("add"))
    out = doc["output"]
    assert out.count("KEYRING BLOCKED EPERM") == 2 and "MQUEUE BLOCKED EPERM" in out, out
    assert "ADDED" not in out.replace("MQFILE ADDED", ""), out
    if mqueue_mounted is not None:
        assert not (mqueue_mounted / "grader-stash-file").exists(), "a queue file reached the host's /dev/mqueue"


def test_a_killed_grader_leaves_nothing_for_the_next_grading(tmp_path, grade_source, leftover_processes):
    """When the grader is SIGKILLed mid-grading, is the child ended with it, and does the next grading find no
    process of the sandbox user left over and no job folder left on disk?"""
    from grader.sandbox import sandbox_users

    proc = subprocess.Popen(
        cli_argv(folder_with(tmp_path, hostile("orphan")), tmp_path / "r.json"),
        cwd=REPO,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    users = sandbox_users()
    deadline = time.monotonic() + BOUND_S
    uid, child, job, orphans = None, None, None, []
    while time.monotonic() < deadline and not orphans:
        time.sleep(0.2)
        table = _processes()
        if uid is None:  # our grading's child: started by the grader we will kill; its job folder names the slot
            for pid, (_, ppid, _, cmd) in table.items():
                if ppid == proc.pid and "grader-job-" in cmd:
                    user = cmd.split("grader-job-", 1)[1].split("-", 2)
                    uid, child = users.get(f"{user[0]}-{user[1]}"), pid
                    job = Path(cmd.split()[-1]).parent  # the job file's folder
        if uid is not None:  # the process that left the child's session with setsid
            orphans = [p for p, (u, _, sid, _) in table.items() if u == uid and sid != child]
    assert orphans, "the attack did not start its orphan"
    assert job is not None and job.is_dir()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    observer = hostile("add_only") + (
        "\n\nimport os as _os\n"
        "def _live(p):\n"
        "    try:\n"
        "        return open('/proc/%s/stat' % p).read().rsplit(')', 1)[1].split()[0] not in ('Z', 'X')\n"
        "    except OSError:\n"
        "        return False\n"
        "_mine = {_os.getpid(), _os.getppid()}\n"
        "_others = [p for p in _os.listdir('/proc') if p.isdigit() and int(p) not in _mine\n"
        "           and _os.stat('/proc/' + p).st_uid == _os.getuid() and _live(p)]\n"
        "print('OTHERS', len(_others), flush=True)\n"
    )
    graded, seconds = timed_grade(grade_source, observer)
    doc = check(graded, seconds, leftover_processes, honest("add"))
    assert "OTHERS 0" in doc["output"], doc["output"]
    assert not set(orphans) & set(_processes()), "the orphan outlived the next grading"
    assert not job.exists(), f"the job folder of the killed grading is still there: {job}"


def _processes() -> dict[int, tuple[int, int, int, str]]:
    """pid -> (uid, parent pid, session id, command line) of the live processes."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if fields[0] in ("Z", "X"):
                continue
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            out[int(entry)] = (os.stat(f"/proc/{entry}").st_uid, int(fields[1]), int(fields[3]), cmd)
    return out


# --------------------------------------------------------------------------- the Gradescope root


def test_the_gradescope_root_is_invisible_to_the_child(tmp_path):
    """With AUTOGRADER_ROOT outside /tmp (as /autograder is), can the student's code read submission_metadata.json
    (students' emails, earlier results) and print it into the visible output?"""
    from grader.autograder import build as build_autograder
    from grader.demo import run_zip

    roots = Path("/var/lib/grader-test-roots")
    try:
        zip_path = build_autograder(TOY, tmp_path / "ag.zip")
        src = hostile("add_only") + (
            "\n\nimport glob as _glob, itertools as _it, os as _os\n"
            "_paths = ['/autograder/submission_metadata.json']\n"
            "for _c in _glob.glob('/proc/[0-9]*/cmdline'):\n"
            "    try:\n"
            "        _argv = open(_c, 'rb').read().split(b'\\0')\n"
            "    except OSError:\n"
            "        continue\n"
            "    for _a in _argv:\n"
            "        if b'/submission' in _a:\n"
            "            _paths.append(_os.path.join(_os.path.dirname(_os.fsdecode(_a)), 'submission_metadata.json'))\n"
            "for _p in sorted(set(_paths)):\n"
            "    try:\n"
            "        print('READ', open(_p).read(), flush=True)\n"
            "    except OSError as _e:\n"
            "        print('TRIED', _p, type(_e).__name__, flush=True)\n"
        )
        doc = run_zip(zip_path, {"toy_pkg/ops.py": src.encode()}, tmp_path / "results.json", root_parent=roots)
        valid(doc)
        assert "TRIED" in doc["output"] and str(roots) in doc["output"], doc["output"]
        assert "READ" not in doc["output"] and "student@example.edu" not in json.dumps(doc), doc["output"]
        assert doc["score"] == 3.0
    finally:
        shutil.rmtree(roots, ignore_errors=True)


def test_a_chance_collision_with_the_public_answer_is_drawn_again(toy, tmp_path):
    """When a low-entropy public output (a sign) happens to equal the handout's for this salt, is the case drawn
    again with a derived salt, instead of failing the build or shipping a known answer?"""
    from grader import oracle as oracle_mod
    from grader.casefiles import load_cases, staff_imports
    from grader.manifest import load_manifest

    fixture = tmp_path / "toy"
    shutil.copytree(TOY, fixture)
    (fixture / "tests" / "cases.py").write_text(
        "import numpy as np\n\nfrom grader.cases import Case\n\n\n"
        "def _add(a, b):\n    from toy_pkg.ops import add\n\n    return {'out': add(a, b)}\n\n\n"
        "def _positive(a, b):\n    from toy_pkg.ops import add\n\n"
        "    return {'positive': np.array(add(a, b).sum() > 0)}\n\n\n"
        "CASES = [\n    Case('add_small', 'add: the sign of a sum', _positive,\n"
        "         inputs=lambda rng: {'a': rng.standard_normal(3), 'b': rng.standard_normal(3)}),\n]\n"
    )
    manifest = load_manifest(fixture)
    with staff_imports(manifest):
        case = next(c for c, pub in load_cases(manifest) if pub)

        def positive(salt: str) -> bool:
            inputs, _ = case.build_inputs(salt)
            return bool((inputs["a"] + inputs["b"]).sum() > 0)

        public = positive("")
        salt = next(f"s{i}" for i in range(200) if positive(f"s{i}") == public and positive(f"s{i}#1") != public)
        expected_inputs, _ = case.build_inputs(f"{salt}#1")
    dest = oracle_mod.build(manifest, tmp_path / "oracle", salt=salt)
    graded_inputs = load_npz(dest / "add_small.in.npz")
    assert np.array_equal(graded_inputs["a"], expected_inputs["a"])
    assert bool(load_npz(dest / "add_small.out.npz")["positive"]) != public

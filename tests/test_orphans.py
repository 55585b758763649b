"""A killed `qabot build` leaves no worker processes behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.knowledge import make_knowledge
from tests.support.processes import REPO, clean_env


def children_of(pid: int) -> dict[int, str]:
    """Live (not zombie) processes whose parent is pid, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_and_resource_tracker_end_when_the_build_is_killed(tmp_path):
    files = {f"a{i:03d}.txt": f"第{i}篇文章\n\n" + f"第{i}篇文章讲述第{i}座桥梁的建设进展，工程顺利。\n" * 40
             for i in range(400)}
    knowledge = make_knowledge(tmp_path, with_sample=False, files=files)
    build = subprocess.Popen([sys.executable, "-m", "bot", "build", "--knowledge", str(knowledge), "--workers", "2",
                              "--no-progress"], env=clean_env(), cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and build.poll() is None:
            workers = {pid: cmd for pid, cmd in children_of(build.pid).items() if "multiprocessing" in cmd}
            if sum("spawn_main" in cmd for cmd in workers.values()) >= 2:
                break
            time.sleep(0.05)
        assert sum("spawn_main" in cmd for cmd in workers.values()) >= 2, "the build never started its workers"
        assert any("resource_tracker" in cmd for cmd in workers.values())
        os.kill(build.pid, signal.SIGKILL)
        build.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(alive(pid) for pid in workers):
            time.sleep(0.05)
        assert not [cmd for pid, cmd in workers.items() if alive(pid)]
    finally:
        if build.poll() is None:
            build.kill()
        for pid in workers:  # when the test fails, don't leave them behind either
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

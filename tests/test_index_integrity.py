"""A damaged index is found at load: one clear line from `ask` and `run`, and `build` and /reload rebuild over it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.errors import IndexInvalid
from bot.index.knowledge_base import KnowledgeBase
from tests.conftest import ADMIN_ID, PANDA_FACT, PANDA_QUESTION, TOKEN, USER_ID
from tests.support.processes import clean_env
from tests.support.processes import qabot as qabot_process
from tests.test_reliability import ask_and_read, reloadable_bot


def build_dir(index: Path) -> Path:
    return index / os.readlink(index / "CURRENT")


def overwrite(path: Path, offset: int, data: bytes) -> bytes:
    """Write `data` at `offset` (negative: from the end); returns what was there."""
    with open(path, "r+b") as handle:
        handle.seek(offset, os.SEEK_SET if offset >= 0 else os.SEEK_END)
        where = handle.tell()
        old = handle.read(len(data))
        handle.seek(where)
        handle.write(data)
    return old


def test_flipped_bytes_in_any_file_are_found_at_load(knowledge_copy: Path) -> None:
    index = knowledge_copy / ".index"
    files = sorted(p for p in build_dir(index).iterdir() if p.name != "manifest.json")
    assert len(files) >= 20
    for path in files:
        size = path.stat().st_size
        for offset in (min(12, size - 1), size // 2, -1):  # the header, the middle, the last byte
            old = overwrite(path, offset, b"\xa5")
            if old == b"\xa5":
                overwrite(path, offset, b"\x5a")
            with pytest.raises(IndexInvalid, match=f"{path.name} does not match its checksum"):
                KnowledgeBase(index)
            overwrite(path, offset, old)
    assert len(KnowledgeBase(index).articles) == 6  # put back, it loads again


def test_a_damaged_header_is_one_line_from_ask_and_run_and_build_repairs_it(qabot, knowledge_copy: Path, api) -> None:
    index = knowledge_copy / ".index"
    overwrite(build_dir(index) / "passages.terms.values.npy", 12, b"\x00" * 10)  # ten bytes of the header
    asked = qabot("ask", "--knowledge", str(knowledge_copy), PANDA_QUESTION)
    assert asked.returncode == 2 and "Traceback" not in asked.stderr
    assert asked.stderr.splitlines() == [
        f"qabot: error: knowledge base at {index} is damaged (passages.terms.values.npy does not match its checksum); "
        "run `qabot build` to rebuild it"]

    ran = qabot_process("run", "--knowledge", str(knowledge_copy),
                        env=clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BOT_API_URL=api.base_url))
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert ran.stderr.strip().splitlines()[-1].startswith(f"qabot: error: knowledge base at {index} is damaged")
    assert api.request_count("getUpdates") == 0

    built = qabot("build", "--knowledge", str(knowledge_copy), "--no-progress")
    assert built.returncode == 0, built.stderr
    assert ("built anew: the previous index could not be read (knowledge base at "
            f"{index} is damaged (passages.terms.values.npy does not match its checksum))") in built.stdout
    asked = qabot("ask", "--knowledge", str(knowledge_copy), PANDA_QUESTION)
    assert asked.returncode == 0 and "12到38" in asked.stdout


def test_reload_rebuilds_over_data_that_would_silently_change_answers(start_bot, api, knowledge_copy: Path,
                                                                      question_log) -> None:
    """Flipped bytes in passages.text.offsets used to change an answer without any error."""
    index = knowledge_copy / ".index"
    reloadable_bot(start_bot, api, knowledge_copy, question_log)
    overwrite(build_dir(index) / "passages.text.offsets.npy", -3, b"\x01")
    _, report = ask_and_read(api, ADMIN_ID, "/reload", 2)
    assert "知识库已重建" in report and "原来的索引无法使用" in report
    assert "passages.text.offsets.npy 和它的校验和对不上" in report  # said in Chinese to the admin
    assert PANDA_FACT in ask_and_read(api, USER_ID, PANDA_QUESTION)[0]
    assert len(KnowledgeBase(index).articles) == 6

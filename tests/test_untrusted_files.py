"""Untrusted article folders: links out, devices, FIFOs, sockets, odd names and deep trees never leak or hang."""

import json
import os
import socket

from bot.index.knowledge_base import KnowledgeBase
from bot.knowledge.builder import build_knowledge_base
from bot.knowledge.untrusted import read_regular_file
from tests.support.knowledge import config_for, make_knowledge
from tests.support.processes import clean_env
from tests.support.processes import qabot as qabot_process

SECRET_WORD = "绝密口令七七八八"


def reasons_of(report):
    return {s.key: s.reason for s in report.skipped}


def indexed_keys(knowledge):
    return sorted(a.key for a in KnowledgeBase(config_for(knowledge).index_path).articles)


def test_links_out_devices_fifos_and_sockets_are_skipped_with_a_reason(qabot, tmp_path):
    knowledge = make_knowledge(tmp_path, files={"inner/ok.txt": "内部文章\n\n桥梁建设进展顺利。"})
    articles = knowledge / "articles"
    outside = tmp_path / "outside.txt"
    outside.write_text(f"外部文件\n\n{SECRET_WORD}是外部的秘密。", encoding="utf-8")
    (knowledge / "config.yaml").write_text("telegram:\n  token: '123:SECRET-TOKEN'\n", encoding="utf-8")
    (articles / "passwd.txt").symlink_to(outside)
    (articles / "config.txt").symlink_to("../config.yaml")
    (articles / "zero.txt").symlink_to("/dev/zero")
    (articles / "inner-link.txt").symlink_to("inner/ok.txt")  # a link inside is fine (a duplicate here)
    os.mkfifo(articles / "fifo.txt")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(articles / "socket.txt"))
    (articles / "outdir").symlink_to(tmp_path, target_is_directory=True)
    (articles / "inner" / "loop").symlink_to("..", target_is_directory=True)  # back inside: walked once

    try:
        # A real process: were a FIFO or /dev/zero ever read, the timeout ends it, not the whole suite.
        result = qabot_process("build", "--knowledge", str(knowledge), "--no-progress", env=clean_env(), timeout=60)
    finally:
        server.close()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "articles/passwd.txt: 符号链接指向文章目录之外，已跳过" in out
    assert "articles/config.txt: 符号链接指向文章目录之外，已跳过" in out
    assert "articles/zero.txt: 符号链接指向文章目录之外，已跳过" in out
    assert "articles/fifo.txt: 不是普通文件（命名管道），已跳过" in out
    assert "articles/socket.txt: 不是普通文件（套接字），已跳过" in out
    assert "articles/outdir: 目录链接指向文章目录之外，已跳过" in out
    assert "articles/inner/ok.txt: 和 articles/inner-link.txt 内容相同" in out  # root files come first
    assert indexed_keys(knowledge) == ["articles/000_be29e6b4f69db29d.txt", "articles/inner-link.txt"]

    asked = qabot("ask", "--json", "--knowledge", str(knowledge), f"{SECRET_WORD} telegram token SECRET")
    assert asked.returncode == 0, asked.stderr
    served = json.dumps(json.loads(asked.stdout)["results"], ensure_ascii=False)
    assert "外部的秘密" not in served and "SECRET-TOKEN" not in served


def test_a_device_inside_the_folder_is_refused_before_reading(tmp_path):
    """A character device reached without a link (a bind mount, a copied node) is still never read."""
    assert read_regular_file(tmp_path / "zero", tmp_path, 1000) == "cannot read file: No such file or directory"
    assert read_regular_file("/dev/zero", "/dev", 1000) == "不是普通文件（设备文件），已跳过"
    assert read_regular_file("/dev/null", "/", 1000) == "不是普通文件（设备文件），已跳过"


def test_reads_stop_at_the_limit_whatever_the_size_says(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"x" * 5000)
    assert read_regular_file(path, tmp_path, 5000) == b"x" * 5000
    assert read_regular_file(path, tmp_path, 4999).startswith("file is 0.0 MB, over")


def test_odd_file_names_are_skipped_escaped_and_never_forge_a_report_line(qabot, tmp_path):
    knowledge = make_knowledge(tmp_path)
    articles = os.fsencode(knowledge / "articles")
    with open(os.path.join(articles, b"bad-\xff\xfe.txt"), "w", encoding="utf-8") as handle:
        handle.write("坏名字\n\n文件名不是 UTF-8。")
    forged = "x.txt\n  evil.txt: forged line\nend.txt"
    (knowledge / "articles" / forged).write_text("换行\n\n名字里有换行。", encoding="utf-8")
    (knowledge / "articles" / "rtl-\u202etxt.md").write_text("反向\n\n名字会倒着显示。", encoding="utf-8")

    result = qabot("build", "--knowledge", str(knowledge), "--no-progress")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "  articles/bad-\\xff\\xfe.txt: 文件名不是有效的 UTF-8 编码，已跳过，请改名" in lines
    assert ("  articles/x.txt\\u000a  evil.txt: forged line\\u000aend.txt: "
            "文件名含有换行符或其他控制字符，已跳过，请改名") in lines
    assert "  articles/rtl-\\u202etxt.md: 文件名含有换行符或其他控制字符，已跳过，请改名" in lines
    assert not any(line.startswith("  evil.txt") for line in lines)
    assert "skipped: 3" in lines
    assert indexed_keys(knowledge) == ["articles/000_be29e6b4f69db29d.txt"]
    asked = qabot("ask", "--json", "--knowledge", str(knowledge), "名字")
    assert asked.returncode == 0 and json.loads(asked.stdout)["question"] == "名字"


def test_a_very_deep_tree_is_walked_without_recursion(tmp_path):
    knowledge = make_knowledge(tmp_path, with_sample=False)
    deep = str(knowledge / "articles")
    for _ in range(1500):  # os.makedirs itself recurses
        deep = os.path.join(deep, "d")
        os.mkdir(deep)
    with open(os.path.join(deep, "deep.txt"), "w", encoding="utf-8") as handle:
        handle.write("深处的文章\n\n藏在一千五百层目录下面的内容。")
    try:
        report = build_knowledge_base(config_for(knowledge))
        assert report.articles == 1 and not report.skipped
        assert indexed_keys(knowledge) == ["articles/" + "d/" * 1500 + "deep.txt"]
    finally:  # pytest's own clean-up (shutil.rmtree) recurses and would fail on this tree
        os.remove(os.path.join(deep, "deep.txt"))
        while deep != str(knowledge / "articles"):
            os.rmdir(deep)
            deep = os.path.dirname(deep)

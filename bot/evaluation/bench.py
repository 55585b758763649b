"""`qabot bench`: what a knowledge base costs as it grows, against plain BM25 in the same run.

Each size gets its own generated base (see bench_data). Every phase runs in a fresh process so
that its memory and load time are its own: the real builder, the real service load and ask path,
then bm25s over the same passages. Peak memory is sampled over the whole process tree, so build
workers count.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.errors import QabotError

BASELINE_MAX_PASSAGES = 300_000  # bm25s needs ~28 GB to index 1M passages; above this it gets a prefix


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def cmd_bench(args: argparse.Namespace, config) -> int:
    work = Path(args.work).resolve()
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    sets = [Path(f) for f in args.files]
    results = run_bench(work, sets, sizes, config.passages, baseline=not args.no_baseline,
                        incremental_at=parse_size(args.incremental_at), keep=args.keep)
    table = format_table(results)
    print(table)
    if args.output:
        Path(args.output).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def run_bench(work: Path, sets: list[Path], sizes: list[int], settings, baseline: bool = True,
              incremental_at: int = 100_000, keep: bool = False) -> dict:
    from bot.evaluation.bench_data import load_material, write_base

    material = load_material(sets)
    if not material.questions or not material.sentences:
        raise QabotError("the sets are too small for a bench: they need at least two titles each, "
                         "one to ask about and one to make filler from")
    log(f"{len(material.questions)} questions from {len(material.eval_articles)} held-out paragraphs; "
        f"{len(material.sentences)} filler sentences")
    results = {"questions": len(material.questions), "sizes": []}
    for size in [0, *sizes]:
        base = work / f"base-{size}"
        shutil.rmtree(base, ignore_errors=True)
        started = time.perf_counter()
        n_filler = write_base(base, material, size, settings)
        log(f"size {size}: wrote {n_filler} filler articles in {time.perf_counter() - started:.0f} s")
        questions_file = base / "questions.json"
        questions_file.write_text(json.dumps([{"text": q.text, "article_key": q.article_key, "answers": q.answers}
                                               for q in material.questions], ensure_ascii=False),
                                  encoding="utf-8")
        row = {"target": size, "filler_articles": n_filler}
        row["build"] = run_phase("build", base)
        # The build leaves GBs of dirty pages; flushed now, their writing doesn't slow the load below.
        os.sync()
        row["disk_mb"] = round(disk_bytes(base / ".index") / 1e6, 1)
        row["serve"] = run_phase("serve", base, str(questions_file))
        if baseline and size:
            row["baseline"] = run_phase("baseline", base, str(questions_file), str(BASELINE_MAX_PASSAGES))
        if size and size == incremental_at:
            from bot.evaluation.bench_data import filler_path

            changed = filler_path(base / "articles", n_filler // 2)
            changed.write_text(changed.read_text(encoding="utf-8") + "本段为增量重建测试而追加，内容与原文无关。\n",
                               encoding="utf-8")
            row["incremental"] = run_phase("build", base)
        results["sizes"].append(row)
        log(json.dumps(row, ensure_ascii=False))
        if not keep and size:
            shutil.rmtree(base, ignore_errors=True)
    return results


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def disk_bytes(index_root: Path) -> int:
    from bot.index.store import current_build_dir

    build = current_build_dir(index_root)
    return sum(p.stat().st_size for p in build.iterdir()) if build else 0


def run_phase(phase: str, base: Path, *extra: str) -> dict:
    """Run one phase in a fresh process; returns its JSON line plus the process tree's peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot.evaluation.bench", phase, str(base), *extra],
                            stdout=subprocess.PIPE, text=True)
    sampler = TreeRss(proc.pid)
    sampler.start()
    out, _ = proc.communicate()
    sampler.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"bench phase {phase} failed with exit code {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["tree_peak_rss_mb"] = round(sampler.peak / 1e6, 1)
    result["process_s"] = round(time.perf_counter() - started, 2)
    return result


class TreeRss(threading.Thread):
    """Samples the summed RSS of a process and all its descendants every 100 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop_event.wait(0.1):
            total = 0
            for pid in _descendants(self.pid):
                try:
                    with open(f"/proc/{pid}/statm") as handle:
                        total += int(handle.read().split()[1]) * page
                except OSError:
                    pass
            self.peak = max(self.peak, total)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except OSError:
            pass
    return found


# --- phases, each run in its own process -------------------------------------------------------

def _config(base: Path):
    from bot.config import load_config

    return load_config(knowledge_dir=base)


def phase_build(base: Path) -> dict:
    from bot.knowledge.builder import build_knowledge_base

    report = build_knowledge_base(_config(base))
    return {"seconds": round(report.seconds, 2), "mb_per_s": round(report.mb_per_second, 3),
            "text_mb": round(report.text_bytes / 1e6, 1), "articles": report.articles,
            "passages": report.passages, "analysed": report.analysed, "self_peak_rss_mb": _self_peak_mb()}


def _questions(path: str):
    from bot.evaluation.squad import Question

    return [Question(q["text"], q["article_key"], tuple(q["answers"])) for q in json.loads(Path(path).read_text("utf-8"))]


def phase_serve(base: Path, questions_file: str) -> dict:
    from bot.evaluation.command import one_core, run_questions, shown_by

    started = time.perf_counter()
    from bot.service import QAService

    import_s = time.perf_counter() - started
    config = _config(base)
    started = time.perf_counter()
    service = QAService.open(config)
    load_s = time.perf_counter() - started
    questions = _questions(questions_file)
    with one_core():
        figures = run_questions(lambda question: shown_by(service, question), questions, []).figures(0.0, False)
    return {"load_s": round(load_s, 3), "import_s": round(import_s, 3), "top1": figures["answer-in-top1"],
            "top5": figures["answer-in-top5"], "p50_ms": figures["p50_ms"], "p99_ms": figures["p99_ms"],
            "self_peak_rss_mb": _self_peak_mb()}


def phase_baseline(base: Path, questions_file: str, max_passages: str) -> dict:
    """bm25s over the same passages: character unigrams and bigrams of normalised text, top 50."""
    import bm25s
    import numpy as np

    from bot.evaluation.command import one_core
    from bot.evaluation.metrics import percentile
    from bot.index.knowledge_base import KnowledgeBase
    from bot.text.normalize import normalize

    kb = KnowledgeBase(_config(base).index_path)
    n = min(kb.passage_count, int(max_passages))
    vocab: dict[str, int] = {}

    def tokens(text: str) -> list[str]:
        out = []
        for run in _runs(normalize(text)):
            out.extend(run)
            out.extend(a + b for a, b in zip(run, run[1:]))
        return out

    started = time.perf_counter()
    corpus_ids = []
    for i in range(n):
        corpus_ids.append([vocab.setdefault(t, len(vocab)) for t in tokens(kb.passage_texts[i])])
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index((corpus_ids, vocab), show_progress=False)
    del corpus_ids
    index_s = time.perf_counter() - started
    latencies = []
    with one_core():
        for question in _questions(questions_file):
            started = time.perf_counter()
            query = [t for t in dict.fromkeys(tokens(question.text)) if t in vocab]
            if query:
                retriever.retrieve([query], k=min(50, n), show_progress=False, n_threads=1)
            latencies.append((time.perf_counter() - started) * 1000)
    return {"passages": n, "index_s": round(index_s, 2), "p50_ms": round(percentile(latencies, 50), 3),
            "p99_ms": round(percentile(latencies, 99), 3), "self_peak_rss_mb": _self_peak_mb(),
            "numpy": np.__version__}


def _runs(text: str) -> list[str]:
    from bot.text.terms import is_term_char

    runs, current = [], []
    for ch in text:
        if is_term_char(ch):
            current.append(ch)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def _self_peak_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3, 1)


# --- the table ---------------------------------------------------------------------------------

def format_table(results: dict) -> str:
    lines = ["| passages | build | MB/s | disk | load | RSS serving | p50 | p99 | bm25s p50 | bm25s p99 | p50 ratio | top1 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in results["sizes"]:
        build, serve, base = row["build"], row["serve"], row.get("baseline")
        ratio = f"{serve['p50_ms'] / base['p50_ms']:.2f}" if base and base.get("p50_ms") else "-"
        base_cells = (f"{base['p50_ms']:.1f} ms" + ("" if base["passages"] == build["passages"] else f" ({base['passages']:,})"),
                      f"{base['p99_ms']:.1f} ms") if base else ("-", "-")
        lines.append(
            f"| {build['passages']:,} | {build['seconds']:.0f} s ({build['tree_peak_rss_mb'] / 1e3:.1f} GB) "
            f"| {build['mb_per_s']:.2f} | {row['disk_mb']:.0f} MB | {serve['load_s']:.2f} s "
            f"| {serve['tree_peak_rss_mb'] / 1e3:.2f} GB | {serve['p50_ms']:.1f} ms | {serve['p99_ms']:.1f} ms "
            f"| {base_cells[0]} | {base_cells[1]} | {ratio} | {serve['top1']:.3f} |")
    for row in results["sizes"]:
        if "incremental" in row:
            inc = row["incremental"]
            lines.append(f"\nincremental rebuild at {row['build']['passages']:,} passages (one article changed): "
                         f"{inc['seconds']:.1f} s in the builder, {inc['process_s']:.1f} s as a process, "
                         f"peak {inc['tree_peak_rss_mb'] / 1e3:.1f} GB")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    phase, base, *extra = argv
    handler = {"build": phase_build, "serve": phase_serve, "baseline": phase_baseline}[phase]
    print(json.dumps(handler(Path(base), *extra)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

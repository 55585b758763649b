"""`qabot bench --startup`: how long a fresh `qabot ask` and a one-article `qabot build` take, whole process.

Each run starts new processes, as a user at a shell does: `python -c pass` (the interpreter's own
start, the baseline that makes figures from a busy machine comparable), a cold `qabot ask` on a built
base, and `qabot build` into an empty index. The three alternate so that a slow minute slows all of
them; medians are reported, of wall-clock time and of CPU time (which a busy machine moves less). One untimed build first makes the base to ask and warms the caches a
first run on a machine makes once (jieba's cache, the word-frequency store).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.config import Config
from bot.errors import QabotError
from bot.faq.entries import FAQ_FILE
from bot.knowledge.files import ARTICLE_SUFFIXES
from bot.quality.checks import QUESTIONS_FILE

QUESTION = "近三年引进了多少急需紧缺人才？"
TARGET_SECONDS = 0.5  # issue #12: a cold ask and a one-article build each take at most this
_PHASES = ("python -c pass", "qabot ask (cold)", "qabot build (1 article)")


def cmd_startup_bench(args: argparse.Namespace, config: Config) -> int:
    if args.runs < 1:
        raise QabotError("--runs must be at least 1")
    figures = run_startup_bench(config, args.runs)
    print(format_startup(figures))
    if args.output:
        Path(args.output).write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def run_startup_bench(config: Config, runs: int) -> dict:
    """Wall-clock and CPU seconds of every run of each phase, and their medians."""
    article = _first_article(config)
    with tempfile.TemporaryDirectory(prefix="qabot-startup-") as work:
        asked = _knowledge_copy(config, article, Path(work) / "ask")
        _run(["build", "--no-progress"], asked)
        samples: dict[str, list[tuple[float, float]]] = {phase: [] for phase in _PHASES}
        for run in range(runs):
            built = _knowledge_copy(config, article, Path(work) / f"build-{run}")
            samples[_PHASES[0]].append(_timed([sys.executable, "-c", "pass"]))
            samples[_PHASES[1]].append(_run(["ask", QUESTION], asked))
            samples[_PHASES[2]].append(_run(["build", "--no-progress"], built))

    def figures(which: int, rounding: int) -> tuple[dict, dict]:
        every = {phase: [round(run[which], 3) for run in runs_] for phase, runs_ in samples.items()}
        return {phase: round(statistics.median(times), rounding) for phase, times in every.items()}, every

    median_wall, samples_wall = figures(0, 3)
    median_cpu, samples_cpu = figures(1, 3)
    return {"article": article.name, "question": QUESTION, "runs": runs, "target_s": TARGET_SECONDS,
            "median_s": median_wall, "median_cpu_s": median_cpu, "samples_s": samples_wall, "samples_cpu_s": samples_cpu}


def format_startup(figures: dict) -> str:
    wall, cpu = figures["median_s"], figures["median_cpu_s"]
    baseline = wall[_PHASES[0]]
    lines = [f"start-up, median of {figures['runs']} fresh processes each ({figures['article']}):"]
    for phase in _PHASES:
        ratio = f" ({wall[phase] / baseline:4.1f}x python)" if baseline > 0 else ""
        target = "" if phase == _PHASES[0] else \
            f"  target ≤ {figures['target_s']} s: {'met' if wall[phase] <= figures['target_s'] else 'not met'}"
        lines.append(f"  {phase:<24} {wall[phase]:6.3f} s wall{ratio:<16} {cpu[phase]:6.3f} s cpu{target}")
    return "\n".join(lines)


def _first_article(config: Config) -> Path:
    articles = sorted(p for p in config.articles_path.rglob("*")
                      if p.is_file() and p.name.lower().endswith(ARTICLE_SUFFIXES))
    if not articles:
        raise QabotError(f"no article to time in {config.articles_path}")
    return articles[0]


def _knowledge_copy(config: Config, article: Path, folder: Path) -> Path:
    """A knowledge directory of one article, with the files a build reads beside the articles."""
    defaults = Config(knowledge_dir=folder)  # the runs use the default settings
    defaults.articles_path.mkdir(parents=True)
    shutil.copy2(article, defaults.articles_path / article.name)
    for source, copy in ((config.userdict_path, defaults.userdict_path), (config.synonyms_path, defaults.synonyms_path),
                         (config.knowledge_dir / QUESTIONS_FILE, folder / QUESTIONS_FILE),
                         (config.knowledge_dir / FAQ_FILE, folder / FAQ_FILE)):
        if source.is_file():
            shutil.copy2(source, copy)
    return folder


def _run(argv: list[str], knowledge: Path) -> tuple[float, float]:
    """`qabot ARGV` in a fresh process with default settings (no QABOT_* from the caller): wall and CPU seconds."""
    return _timed([sys.executable, "-m", "bot", *argv, "--knowledge", str(knowledge)])


def _timed(command: list[str]) -> tuple[float, float]:
    """Wall-clock seconds, and the CPU seconds of the process and its children (less moved by a busy machine)."""
    # The caller's environment, less qabot's own settings: the runs time the defaults.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QABOT_", "TELEGRAM_"))}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, errors="replace")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise QabotError(f"{' '.join(command[2:4])} failed (exit {done.returncode}): {last}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

"""The `qabot` command: a thin layer that turns arguments into calls and errors into one line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Callable, Sequence

from bot import __version__
from bot.config import Config, load_config
from bot.errors import QabotError, os_error_paths

log = logging.getLogger("qabot")

Command = Callable[[argparse.Namespace, Config], int]
GATE_REFUSED = 3  # `qabot build`: the new base failed more of questions.yaml; the old one still serves


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(getattr(args, "verbose", 0))
    try:
        config = load_config(getattr(args, "config", None), getattr(args, "knowledge", None))
        return args.handler(args, config)
    except QabotError as exc:
        print(f"qabot: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # A full disk or a path in the way: one line that names it, and nothing stored is touched.
        paths = os_error_paths(exc)
        where = f" ({paths})" if paths else ""
        print(f"qabot: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qabot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def build_parser() -> argparse.ArgumentParser:
    # SUPPRESS: an option given before the command must not be reset by the command's own copy.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--knowledge", metavar="DIR", help="knowledge directory (default: $QABOT_KNOWLEDGE or ./knowledge)")
    common.add_argument("--config", metavar="FILE", help="YAML config file (default: $QABOT_CONFIG or DIR/config.yaml)")
    common.add_argument("-v", "--verbose", action="count", help="more log output (-vv for debug)")

    parser = argparse.ArgumentParser(prog="qabot", description="Answer questions about a collection of articles.",
                                     parents=[common])
    parser.add_argument("--version", action="version", version=f"qabot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", parents=[common], help="build the knowledge base from the article files")
    build.add_argument("--workers", type=int, default=None, help="processes for analysing articles (default: all cores)")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.add_argument("--force", action="store_true", help="swap the new base in even if it fails more of questions.yaml")
    build.set_defaults(handler=cmd_build)

    ask = commands.add_parser("ask", parents=[common], help="answer a question from the command line")
    ask.add_argument("question", help="the question, or - to read one question a line from standard input")
    ask.add_argument("-k", type=int, default=1, metavar="N", help="show the top N results (default 1)")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.set_defaults(handler=cmd_ask, usage=ask.format_usage)

    chat = commands.add_parser("chat", parents=[common], help="a local console conversation with the bot")
    chat.set_defaults(handler=_chat)

    evaluate = commands.add_parser("eval", parents=[common],
                                   help="measure the retriever on SQuAD-format question sets, or run a questions.yaml")
    evaluate.add_argument("files", nargs="+", metavar="FILE.json|questions.yaml")
    evaluate.add_argument("--unanswerable", metavar="OTHER.json", nargs="+", action="append",
                          help="questions the knowledge base does not cover (one or more sets)")
    evaluate.add_argument("--base-articles", type=int, default=None, metavar="N",
                          help="split the articles (seeded shuffle) into knowledge bases of N articles each")
    evaluate.add_argument("--unanswerable-per-base", type=int, default=20, metavar="M",
                          help="with --base-articles: unanswerable questions sampled for each base (default 20)")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the shuffle and the sampling (default 0)")
    evaluate.add_argument("--baseline", action="store_true", help="also run plain BM25 on the same passages")
    evaluate.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    evaluate.add_argument("--limit", type=int, default=None, help="ask at most this many questions (for quick checks)")
    evaluate.set_defaults(handler=_eval)

    fit = commands.add_parser("fit-confidence", parents=[common],
                              help="re-fit the confidence's weights and threshold from SQuAD-format sets")
    fit.add_argument("files", nargs="+", metavar="FILE.json", help="two or more sets; each is off-topic for the others")
    fit.add_argument("--sizes", default="1,10,all", help="articles per base, comma-separated (default 1,10,all)")
    fit.add_argument("--off-topic", type=int, default=400, metavar="N",
                     help="off-topic questions asked per set and size (default 400)")
    fit.add_argument("--false-answers", type=float, default=0.03, metavar="RATE",
                     help="the most off-topic questions any set and size may answer (default 0.03)")
    fit.add_argument("--seed", type=int, default=0, help="seed of the shuffle and the sampling (default 0)")
    fit.set_defaults(handler=_lazy("bot.evaluation.fit", "cmd_fit_confidence"))

    tune = commands.add_parser("tune", parents=[common],
                               help="re-derive the retrieval's weights: each one's measured effect on SQuAD-format sets")
    tune.add_argument("files", nargs="+", metavar="FILE.json", help="SQuAD-format sets, each built as one base")
    tune.add_argument("--sample", type=int, default=300, metavar="N", help="questions asked per set (default 300)")
    tune.add_argument("--seed", type=int, default=0, help="seed of the sampling (default 0)")
    tune.add_argument("--weights", metavar="NAME,…", help="only these weights (default: all of RankingWeights, and candidates)")
    tune.add_argument("--passages", metavar="SIZE",
                      help="tune stage one's posting caps instead, on a base of SIZE passages generated from the sets (e.g. 100k)")
    tune.add_argument("--sentence-chars", metavar="N,…",
                      help="tune MAX_SENTENCE_CHARS instead: build each set once per cap (e.g. 90,120,160)")
    tune.set_defaults(handler=_lazy("bot.evaluation.tune", "cmd_tune"))

    bench = commands.add_parser("bench", parents=[common],
                                help="measure build, disk, load, memory and latency on generated bases of growing size")
    bench.add_argument("files", nargs="*", metavar="FILE.json", help="SQuAD-format sets to generate the bases from")
    bench.add_argument("--sizes", default="10k,100k,1M", help="passages per base, comma-separated (default 10k,100k,1M)")
    bench.add_argument("--work", default="bench-work", metavar="DIR", help="where the generated bases are written")
    bench.add_argument("--incremental-at", default="100k", metavar="SIZE", help="time a one-article rebuild at this size")
    bench.add_argument("--no-baseline", action="store_true", help="skip plain BM25 (bm25s)")
    bench.add_argument("--keep", action="store_true", help="keep the generated bases")
    bench.add_argument("--output", metavar="FILE.json", help="also write every figure as JSON")
    bench.add_argument("--startup", action="store_true",
                       help="instead: time a cold `qabot ask` and a one-article `qabot build` in fresh processes")
    bench.add_argument("--runs", type=int, default=5, help="with --startup: runs of each (default 5)")
    bench.set_defaults(handler=_bench, usage=bench.format_usage)

    run = commands.add_parser("run", parents=[common], help="run the Telegram bot (long polling or webhook)")
    run.add_argument("--webhook", metavar="URL", help="public URL Telegram should post updates to")
    run.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:8443", help="where the webhook server listens")
    run.set_defaults(handler=_lazy("bot.telegram.runner", "cmd_run"))
    return parser


def _lazy(module: str, name: str) -> Command:
    """Import a command's module only when it runs, so `qabot ask` doesn't load Telegram."""

    def handler(args: argparse.Namespace, config: Config) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(args, config)

    return handler


def _eval(args: argparse.Namespace, config: Config) -> int:
    """`qabot eval questions.yaml` runs the admin's checks; SQuAD files go to the evaluation."""
    if all(name.endswith((".yaml", ".yml")) for name in args.files):
        from bot.quality.command import cmd_checks

        return cmd_checks(args, lambda: open_service(config).ask)
    return _lazy("bot.evaluation.command", "cmd_eval")(args, config)


def _bench(args: argparse.Namespace, config: Config) -> int:
    """`qabot bench --startup` times start-up; otherwise the scaling benchmark needs its sets."""
    if args.startup:
        return _lazy("bot.evaluation.startup_bench", "cmd_startup_bench")(args, config)
    if not args.files:
        sys.stderr.write(args.usage())
        print("qabot bench: error: give one or more FILE.json sets, or --startup", file=sys.stderr)
        return 2
    return _lazy("bot.evaluation.bench", "cmd_bench")(args, config)


def _chat(args: argparse.Namespace, config: Config) -> int:
    """`qabot chat` talks about the base this command opens (and builds when there is none)."""
    from bot.console import cmd_chat

    return cmd_chat(open_service(config))


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    # httpx, whose request lines hold the token, is quieted by install_redaction when a bot is built.
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def cmd_build(args: argparse.Namespace, config: Config) -> int:
    from bot.knowledge.builder import iter_progress
    from bot.quality.gate import GateRefused
    from bot.knowledge.build_wording import skip_reason_zh
    from bot.service import build_checked, checks_path, serving_base

    show = not args.no_progress and sys.stderr.isatty()
    serving = serving_base(config) if checks_path(config).is_file() else None
    try:
        result = build_checked(config, serving, args.force, progress=lambda items, total: iter_progress(items, total, show),
                               workers=args.workers)
    except GateRefused as exc:
        print("\n".join(exc.verdict.summary_lines()))
        print(f"qabot: {exc}", file=sys.stderr)
        return GATE_REFUSED
    print("\n".join(result.report.summary_lines(skip_reason_zh)))  # the same reasons as /reload shows
    if result.verdict is not None:
        print("\n".join(result.verdict.summary_lines()))
    return 0


def cmd_ask(args: argparse.Namespace, config: Config) -> int:
    from bot.replies.render import answer_to_json, bold_for, render_plain
    from bot.text.clean import has_lone_surrogates, replace_lone_surrogates

    if args.k < 1:
        raise QabotError("-k must be at least 1")
    if not args.question.strip():
        sys.stderr.write(args.usage())
        print('qabot ask: error: the question is empty; give one, e.g. qabot ask "近三年引进了多少急需紧缺人才？", '
              "or - to read questions from standard input", file=sys.stderr)
        return 2
    service = open_service(config)
    if args.question == "-":
        sys.stdin.reconfigure(errors="replace")  # a line that is not UTF-8 is still a question
        questions = (line.rstrip("\n") for line in sys.stdin)
    else:
        if has_lone_surrogates(args.question):
            print("qabot: warning: the question has bytes that are not UTF-8; they were replaced by \ufffd",
                  file=sys.stderr)
        questions = iter([replace_lone_surrogates(args.question)])
    bold = bold_for(sys.stdout)
    for question in questions:
        if args.question == "-" and not question.strip():
            continue
        answer = service.ask(question, k=args.k)
        if args.json:
            print(json.dumps(answer_to_json(answer), ensure_ascii=False), flush=True)
        else:
            print(render_plain(answer, bold=bold), flush=True)
    return 0


def open_service(config: Config):
    """The knowledge base for a command, built first (and said so on stderr) if there is none."""
    from bot.service import open_or_build

    return open_or_build(config, lambda line: print(f"qabot: {line}", file=sys.stderr))

"""Load benchmark: `qabot run` as a child process against FakeBotApi with Telegram's flood limits on.

    python -m tests.loadtest                      # the full run: 200 users, 20 groups, 5,000 questions
    python -m tests.loadtest --questions 300 ...  # smaller, for a quick look

Questions arrive in bursts (every --burst-every seconds, of random size, --rate a second on
average) from private chats and from groups (/ask@bot and @bot). An admin adds an article and
sends /reload --reloads times during the run. Once every question has had a reply the bot gets
SIGTERM, drains and exits; then everything is counted:

- answered exactly once: every update handed out once by getUpdates, every private chat got as
  many replies as it asked questions, every group question got exactly one reply quoting it,
  and the bot's question log has one row per question;
- latency, per question, from the moment the server handed the update out in a getUpdates answer
  to the moment it accepted the reply. Group replies quote their question, so they pair exactly;
  a private chat's replies are paired with its questions in order;
- replies a second, from the first question handed out to the last reply;
- the bot process's peak RSS (VmHWM), and its child processes' (build workers) sampled every 0.2 s;
- 429s: the server answers 429 with retry_after when a chat gets more than ~1 message a second
  (bursts of 3), a group more than 20 a minute, or the bot more than 30 a second.

Exit status 0 only if every question was answered exactly once, no 429 came after the first
second, and the bot exited cleanly. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.replies.smalltalk import small_talk
from tests.support.processes import BotProcess, clean_env
from tests.support.telegram_server import FakeBotApi

TOKEN = "424242:LOADTEST-token_not-secret"
BOT_USERNAME = "qabot_load_bot"
ADMIN_ID = 1
FIRST_USER = 10_000
FIRST_GROUP = -1_000_000_000_000

CITIES = ["杭州", "苏州", "成都", "西安", "昆明", "贵阳", "兰州", "厦门", "青岛", "大连", "长沙", "南昌", "合肥",
          "福州", "南宁", "海口", "拉萨", "银川", "西宁", "太原", "石家庄", "郑州", "武汉", "济南", "沈阳"]
EVENTS = ["马拉松", "读书节", "茶叶博览会", "科技周", "龙舟赛", "灯会", "音乐节", "农民丰收节", "图书交易会", "航空展"]
OTHER = ["火星上有没有液态水", "明天会下雨吗", "你好", "/help", "/start", "<b>&</pre> 怎么写", "👍🏽🇨🇳",
         "近三年引進了多少急需緊缺人才", "党" * 300, "\u200b\u202e反转", "**粗体** [链接](http://x)"]


# ---- the knowledge base -------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    title: str
    text: str
    question: str


def make_facts(count: int, rng: random.Random) -> list[Fact]:
    facts = []
    for n in range(count):
        city, event = CITIES[n % len(CITIES)], EVENTS[(n // len(CITIES)) % len(EVENTS)]
        edition, year = n // (len(CITIES) * len(EVENTS)) + 1, 2000 + rng.randrange(24)
        people = rng.randrange(1000, 90000)
        title = f"{city}第{edition}届{event}举行"
        text = (f"{title}\n\n{year}年{rng.randrange(1, 13):02d}月{rng.randrange(1, 29):02d}日 来源：测试日报\n\n"
                f"{city}第{edition}届{event}于{year}年举行，共有{people}人参加，规模创下历届之最。"
                f"主办方表示，{event}已经成为{city}的一张城市名片。\n\n"
                f"本届{event}设置了多个分会场，吸引了来自全国各地的参与者。\n")
        facts.append(Fact(title, text, f"{city}第{edition}届{event}有多少人参加"))
    return facts


def make_knowledge(root: Path, facts: list[Fact]) -> Path:
    from bot.config import load_config
    from bot.knowledge.builder import build_knowledge_base
    from tests.conftest import ARTICLES
    from tests.support.knowledge import SAMPLE_ARTICLE

    articles = root / "articles"
    articles.mkdir(parents=True)
    for name, text in ARTICLES.items():
        (articles / name).write_text(text, encoding="utf-8")
    shutil.copy(SAMPLE_ARTICLE, articles / SAMPLE_ARTICLE.name)
    for n, fact in enumerate(facts):
        (articles / f"fact{n:04d}.txt").write_text(fact.text, encoding="utf-8")
    build_knowledge_base(load_config(knowledge_dir=root, environ={}))
    return root


# ---- the run ------------------------------------------------------------------------------------


@dataclass
class Asked:
    update_id: int
    chat: int
    message_id: int
    group: bool
    logged: bool  # a question the bot logs (commands such as /help are not)


@dataclass
class Figures:
    command: str
    users: int
    groups: int
    questions: int
    reloads: int
    articles: int
    seconds: float = 0.0
    answered_once: int = 0
    lost: int = 0
    duplicated: int = 0
    redelivered_updates: int = 0
    logged_questions: int = 0
    expected_logged: int = 0
    apologies: int = 0
    latency_p50: float = 0.0
    latency_p90: float = 0.0
    latency_p99: float = 0.0
    latency_max: float = 0.0
    latency_p50_private: float = 0.0
    latency_p99_private: float = 0.0
    latency_p50_group: float = 0.0
    latency_p99_group: float = 0.0
    bot_cpu_seconds: float = 0.0
    replies_per_second: float = 0.0
    peak_rss_mb: float = 0.0
    peak_rss_children_mb: float = 0.0
    http_429: int = 0
    http_429_after_first_second: int = 0
    http_429_scopes: dict[str, int] = field(default_factory=dict)
    http_429_times: list[float] = field(default_factory=list)  # seconds after the first send
    reload_reports: list[str] = field(default_factory=list)
    bot_exit_status: int | None = None
    bot_log_warnings: int = 0
    bot_log_errors: int = 0

    @property
    def ok(self) -> bool:
        return (self.lost == 0 and self.duplicated == 0 and self.answered_once == self.questions
                and self.http_429_after_first_second == 0 and self.bot_exit_status == 0
                and self.apologies == 0 and len(self.reload_reports) == self.reloads
                and self.logged_questions == self.expected_logged)


class MemoryWatch(threading.Thread):
    """Samples the RSS of a process and its children (the build workers of a /reload)."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True, name="memory-watch")
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self.peak_children_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            own = _status_kb(self.pid, "VmHWM")
            if own is None:
                return
            self.peak_kb = max(self.peak_kb, own)
            children = sum(_status_kb(c, "VmRSS") or 0 for c in _children(self.pid))
            self.peak_children_kb = max(self.peak_children_kb, children)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def schedule(args: argparse.Namespace, rng: random.Random) -> list[list[tuple[str, int, int]]]:
    """Bursts of (kind, chat, user): kind is "private" or "group"; the sizes average --rate a second."""
    users = [FIRST_USER + n for n in range(args.users)]
    groups = [FIRST_GROUP - n for n in range(args.groups)]
    group_share = min(args.group_share, args.groups * args.per_group_max / max(args.questions, 1))
    senders = ([("group", g) for g in groups], [("private", u) for u in users])
    mean = args.rate * args.burst_every
    bursts: list[list[tuple[str, int, int]]] = []
    left = args.questions
    while left > 0:
        size = min(left, max(1, round(rng.uniform(0.25, 1.75) * mean)))
        burst = []
        for _ in range(size):
            kind, chat = rng.choice(senders[0] if rng.random() < group_share else senders[1])
            burst.append((kind, chat, rng.choice(users) if kind == "group" else chat))
        bursts.append(burst)
        left -= size
    return bursts


def question_text(rng: random.Random, facts: list[Fact]) -> str:
    from tests.conftest import NO_ANSWER_QUESTION, PANDA_QUESTION, WOLONG_QUESTION

    roll = rng.random()
    if roll < 0.7:
        return rng.choice(facts).question
    if roll < 0.85:
        return rng.choice([PANDA_QUESTION, WOLONG_QUESTION, "长城有多长", "西湖龙井茶产于哪里", NO_ANSWER_QUESTION])
    return rng.choice(OTHER)


def run(args: argparse.Namespace, command: str = "python -m tests.loadtest") -> Figures:
    rng = random.Random(args.seed)
    facts = make_facts(args.articles, rng)
    figures = Figures(command, args.users, args.groups, args.questions, args.reloads, args.articles + 7)
    work = Path(tempfile.mkdtemp(prefix="qabot-load-"))
    try:
        knowledge = make_knowledge(work / "knowledge", facts)
        _say(args, f"knowledge base: {args.articles + 7} articles in {knowledge}")
        with FakeBotApi(token=TOKEN, bot_username=BOT_USERNAME, enforce_rate_limits=True) as api:
            _drive(args, api, knowledge, work, rng, facts, figures)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return figures


def _drive(args: argparse.Namespace, api: FakeBotApi, knowledge: Path, work: Path, rng: random.Random,
           facts: list[Fact], figures: Figures) -> None:
    env = clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BOT_API_URL=api.base_url, QABOT_ADMINS=str(ADMIN_ID))
    bot = BotProcess(["run", "-v", "--knowledge", str(knowledge)], env, work / "bot.log")
    watch = MemoryWatch(bot.pid)
    watch.start()
    try:
        api.wait_for_requests("getUpdates", timeout=120)
        bursts = schedule(args, rng)
        reload_at = {len(bursts) * (n + 1) // (args.reloads + 1) for n in range(args.reloads)}
        asked: list[Asked] = []
        said: defaultdict[tuple[int, int], set[str]] = defaultdict(set)
        started = time.monotonic()
        _say(args, f"{len(bursts)} bursts, one every {args.burst_every:g} s")
        for number, burst in enumerate(bursts):
            due = started + number * args.burst_every
            time.sleep(max(0.0, due - time.monotonic()))  # the load's own clock, not a wait for the bot
            if number in reload_at:
                extra = knowledge / "articles" / f"added{number}.txt"
                extra.write_text(make_facts(1, rng)[0].text.replace("测试日报", f"追加稿件{number}"), encoding="utf-8")
                api.push_private_text(ADMIN_ID, "/reload")
            for kind, chat, user in burst:
                # No one repeats a question: a repeat of one still waiting is answered once, by design
                # (bot/telegram/fairness.py), and this count wants one reply per question.
                text = question_text(rng, facts)
                while text in said[chat, user]:
                    text = question_text(rng, facts)
                said[chat, user].add(text)
                logged = small_talk(text) is None  # 你好 gets a greeting: not searched, not logged
                if kind == "private":
                    update = api.push_private_text(user, text)
                else:
                    text = f"/ask@{BOT_USERNAME} {text}" if rng.random() < 0.7 else f"@{BOT_USERNAME} {text}"
                    update = api.push_group_text(chat, user, text)
                asked.append(Asked(update["update_id"], chat, update["message"]["message_id"], kind == "group",
                                   logged=logged and (kind == "group" or not text.startswith("/"))))
            if args.progress and number % 10 == 0:
                _say(args, f"  burst {number}: {len(asked)} asked, {len(api.sent_messages())} replies so far")
        expected = len(asked) + 2 * args.reloads
        api.wait_for(lambda s: len(s.sent_messages()) >= expected, timeout=args.timeout,
                     what=f"{expected} replies")
        figures.seconds = time.monotonic() - started
    finally:
        try:
            watch.stop()
            figures.peak_rss_mb = (_status_kb(bot.pid, "VmHWM") or watch.peak_kb) / 1024
            figures.bot_cpu_seconds = _cpu_seconds(bot.pid)
        finally:
            figures.bot_exit_status = bot.stop(timeout=60)  # killed if it doesn't exit by then
    figures.peak_rss_children_mb = watch.peak_children_kb / 1024
    _count(api, asked, knowledge, figures)
    log = bot.log
    figures.bot_log_warnings = sum(" WARNING " in line for line in log.splitlines())
    figures.bot_log_errors = sum(" ERROR " in line or " CRITICAL " in line for line in log.splitlines())
    if TOKEN in log:
        raise SystemExit("the bot's log holds the token")
    if args.keep:
        _say(args, f"kept {work}")


def _count(api: FakeBotApi, asked: list[Asked], knowledge: Path, figures: Figures) -> None:
    from bot.telegram.handlers import SOMETHING_WRONG

    delivered = api.delivered_at
    replies = [c for c in api.calls if c.method == "sendMessage" and c.status == 200]
    figures.reload_reports = [c.result["text"].splitlines()[0] for c in replies
                              if c.params["chat_id"] == ADMIN_ID and "开始重建" not in c.result["text"]]
    replies = [c for c in replies if c.params["chat_id"] != ADMIN_ID]
    figures.apologies = sum(c.result["text"] == SOMETHING_WRONG for c in replies)
    figures.redelivered_updates = len(api.redelivered_update_ids)

    by_chat: dict[int, list[float]] = defaultdict(list)  # private chat -> reply times, in order
    by_quote: dict[tuple[int, int], list[float]] = defaultdict(list)  # (group, question message) -> times
    for call in sorted(replies, key=lambda c: c.t):
        quoted = (call.result.get("reply_to_message") or {}).get("message_id")
        if call.params["chat_id"] < 0:
            by_quote[(call.params["chat_id"], quoted)].append(call.t)
        else:
            by_chat[call.params["chat_id"]].append(call.t)

    latencies: list[float] = []
    group_latencies: list[float] = []
    private: dict[int, list[Asked]] = defaultdict(list)
    for question in asked:
        if question.group:
            got = by_quote.pop((question.chat, question.message_id), [])
            figures.lost += not got
            figures.duplicated += max(0, len(got) - 1)
            figures.answered_once += len(got) == 1
            if got and question.update_id in delivered:
                group_latencies.append(got[0] - delivered[question.update_id])
        else:
            private[question.chat].append(question)
    figures.duplicated += sum(len(times) for times in by_quote.values())  # replies to nothing asked
    for chat, questions in private.items():
        times = by_chat.pop(chat, [])
        figures.lost += max(0, len(questions) - len(times))
        figures.duplicated += max(0, len(times) - len(questions))
        figures.answered_once += min(len(questions), len(times))
        starts = sorted(delivered[q.update_id] for q in questions if q.update_id in delivered)
        latencies += [t - s for s, t in zip(starts, times)]
    figures.duplicated += sum(len(times) for times in by_chat.values())

    private_latencies = latencies
    latencies = sorted(private_latencies + group_latencies)
    if latencies:
        figures.latency_p50, figures.latency_p90, figures.latency_p99 = _percentiles(latencies, 50, 90, 99)
        figures.latency_max = latencies[-1]
    if private_latencies:
        figures.latency_p50_private, figures.latency_p99_private = _percentiles(private_latencies, 50, 99)
    if group_latencies:
        figures.latency_p50_group, figures.latency_p99_group = _percentiles(group_latencies, 50, 99)
    first = min(delivered[q.update_id] for q in asked if q.update_id in delivered)
    last = max(c.t for c in replies)
    figures.replies_per_second = len(replies) / (last - first) if last > first else 0.0
    events = api.rate_limit_events
    figures.http_429 = len(events)
    figures.http_429_after_first_second = api.count_429s(after=1.0)
    figures.http_429_scopes = dict(Counter(e.scope for e in events))
    figures.http_429_times = [round(e.t, 1) for e in events]
    with sqlite3.connect(knowledge / "qabot.sqlite") as db:
        figures.logged_questions = db.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
    figures.expected_logged = sum(q.logged for q in asked)


def _percentiles(values: list[float], *which: int) -> list[float]:
    if len(values) < 2:
        return [values[0]] * len(which)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return [cuts[p - 1] for p in which]


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a running process."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(figures: Figures) -> str:
    f = figures
    return "\n".join([
        f"command: {f.command}",
        f"load: {f.questions} questions from {f.users} private chats and {f.groups} groups, in bursts, "
        f"{f.reloads} × /reload; {f.articles} articles",
        f"answered exactly once: {f.answered_once}/{f.questions} (lost {f.lost}, duplicated {f.duplicated}; "
        f"updates handed out twice: {f.redelivered_updates}; question log rows: {f.logged_questions} of "
        f"{f.expected_logged}; "
        f"apologies: {f.apologies})",
        f"latency, update handed out -> reply accepted: p50 {f.latency_p50 * 1000:.0f} ms, "
        f"p90 {f.latency_p90 * 1000:.0f} ms, p99 {f.latency_p99 * 1000:.0f} ms, max {f.latency_max * 1000:.0f} ms "
        f"(private chats p50 {f.latency_p50_private * 1000:.0f} / p99 {f.latency_p99_private * 1000:.0f} ms; "
        f"groups p50 {f.latency_p50_group * 1000:.0f} / p99 {f.latency_p99_group * 1000:.0f} ms)",
        f"throughput: {f.replies_per_second:.1f} replies/s over a {f.seconds:.0f} s run; "
        f"the bot used {f.bot_cpu_seconds:.0f} s of CPU",
        f"peak RSS: bot process {f.peak_rss_mb:.0f} MB (VmHWM); its child processes (build workers) "
        f"{f.peak_rss_children_mb:.0f} MB (sampled)",
        f"429s provoked: {f.http_429} in all, {f.http_429_after_first_second} after the first second "
        f"{f.http_429_scopes or ''}".rstrip(),
        f"/reload reports: {f.reload_reports}",
        f"bot: exit status {f.bot_exit_status}, {f.bot_log_warnings} warnings and {f.bot_log_errors} errors in its log",
        "result: " + ("OK" if f.ok else "FAILED"),
    ])


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr, flush=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.loadtest", description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=200, help="private chats (default 200)")
    p.add_argument("--groups", type=int, default=20, help="groups (default 20)")
    p.add_argument("--questions", type=int, default=5000, help="questions in all (default 5000)")
    p.add_argument("--rate", type=float, default=24.0, help="questions a second on average (default 24)")
    p.add_argument("--burst-every", type=float, default=2.0, help="seconds between bursts (default 2)")
    p.add_argument("--group-share", type=float, default=0.15, help="share of questions asked in groups")
    p.add_argument("--per-group-max", type=int, default=40,
                   help="at most this many questions per group, as 20 replies a minute is all a group gets")
    p.add_argument("--articles", type=int, default=300, help="generated articles besides the 7 fixed ones")
    p.add_argument("--reloads", type=int, default=2, help="/reload commands during the run (default 2)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=600, help="seconds to wait for the last reply")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--keep", action="store_true", help="keep the working directory (knowledge, bot log)")
    p.add_argument("--progress", action="store_true")
    p.add_argument("--quiet", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    figures = run(args, " ".join(["python -m tests.loadtest", *argv]))
    print(json.dumps(asdict(figures), ensure_ascii=False, indent=1) if args.json else report(figures))
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The load benchmark (tests/loadtest.py) at a tiny size, so that CI keeps it working."""

from tests.loadtest import parser, report, run


def test_a_small_load_run_answers_every_question_once_within_the_flood_limits() -> None:
    args = parser().parse_args(["--users", "30", "--groups", "2", "--questions", "60", "--rate", "30",
                                "--burst-every", "1", "--articles", "10", "--reloads", "1", "--quiet"])
    figures = run(args)
    assert figures.ok, report(figures)
    assert figures.answered_once == 60 and figures.lost == figures.duplicated == 0
    assert figures.http_429_after_first_second == 0 and figures.reload_reports == ["知识库已重建"]
    assert 0 < figures.latency_p50 <= figures.latency_p99 and figures.peak_rss_mb > 0

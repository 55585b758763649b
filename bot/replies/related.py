"""What to suggest when nothing answers: only results that really share words with the question."""

from __future__ import annotations

from bot.retrieval.answer import Answer, Result

# A result below the answer threshold is offered only above this confidence and only when its snippet
# shares words with the question. On the test base "长城有几个门" gives 0.06 for the Great Wall article,
# while "比特币现在多少钱" gives at most 0.008 for anything, with no word in common.
RELATED_CONFIDENCE = 0.03
RELATED_LIMIT = 3


def related_results(answer: Answer, limit: int = RELATED_LIMIT) -> list[Result]:
    """The best result of each article that is related to a question nothing answered, best first."""
    if answer.answered:
        return []
    chosen: list[Result] = []
    articles: set[str] = set()
    for result in answer.results:
        if result.score < RELATED_CONFIDENCE or not result.highlights:
            continue
        if result.passage.article.key in articles:
            continue
        chosen.append(result)
        articles.add(result.passage.article.key)
        if len(chosen) == limit:
            break
    return chosen


def related_article_titles(answer: Answer, limit: int = RELATED_LIMIT) -> tuple[str, ...]:
    """The titles of `related_results`, for plain-text replies."""
    return tuple(r.passage.article.title for r in related_results(answer, limit))

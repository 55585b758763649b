"""How sure we are that the best result answers the question, as a probability-like score.

The features must mean the same on one press release as on a thousand Wikipedia articles, and on
news as on policy notices. So none of the first eight is a statistic of the knowledge base: each is
a share of the question's content words found in the best result, with every word weighted by how
rare it is in Chinese at large (jieba's dictionary frequencies), not in the base. A question whose
specific words the article lacks (比特币, 股价) is off-topic, however well its common words match.

One feature is the size of the base, and only as a correction: the best of a thousand articles
covers an off-topic question's words by chance far more often than the one article of a small base
does. Without it, one threshold had to hold false answers at 3% on a thousand Wikipedia articles,
and so refused up to a tenth of the answerable questions on small bases that never answered an
off-topic question at all.

The weights and the threshold are fitted by `qabot fit-confidence` (bot/evaluation/fit.py) on the
four dev sets, at one, ten and all articles per base, with other sets' questions as the ones a base
cannot answer (and, at half weight, questions about the set's articles a small base lacks); the
fitted bias puts the threshold at 0.5, the default `retrieval.answer_threshold`.
"""

from __future__ import annotations

import math

import numpy as np

from bot.index.arrays import gather_rows
from bot.index.knowledge_base import KnowledgeBase
from bot.retrieval.query import Query
from bot.retrieval.rerank import title_named
from bot.retrieval.weights import SHIPPED
from bot.text.key_sets import contains, sorted_unique
from bot.text.terms import GLUED_CHARACTERS, Segmenter, bigram_key, word_key

FEATURES = ("window coverage", "article coverage", "sentence coverage", "rarest two in article",
            "rarest word missing", "title named", "window bigram coverage", "few words", "articles searched")
# bias, then one weight per feature; printed by `qabot fit-confidence`.
WEIGHTS = (-9.795, 1.193, 5.174, 3.500, 2.125, 1.716, 4.047, 2.459, -3.675, -0.370)
# A word the dictionary lacks weighs as much as one seen once in jieba's 60M-word corpus.
RARITY_CEILING = 18.0


def terms_of(kb: KnowledgeBase, sentences: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
    """Every term key of these sentences (and of `extra`), sorted."""
    flat, _ = gather_rows(kb.sentence_terms.offsets, kb.sentence_terms.values, sentences)
    return sorted_unique(flat if extra is None else np.concatenate([flat, extra]))


def word_presence(words: tuple[str, ...], synonyms: tuple[tuple[str, ...], ...], terms: np.ndarray) -> np.ndarray:
    """For each word, how surely the text holds it: 1 for the word itself, the shipped synonym weight
    for a synonym, else the share of its character pairs found (a typo, or jieba cutting the text
    another way)."""
    presence = np.zeros(len(words), np.float64)
    for number, word in enumerate(words):
        if _holds(terms, word) or _holds_unglued(terms, word) or _holds_as_numeral(terms, word):
            presence[number] = 1.0
        elif any(_holds(terms, synonym) for synonym in synonyms[number]):
            presence[number] = SHIPPED.synonym_weight  # the fit assumed the shipped value
        elif len(word) == 1:
            presence[number] = 0.0
        else:
            pairs = np.array([bigram_key(a, b) for a, b in zip(word, word[1:])], np.int64)
            presence[number] = float(contains(terms, pairs).mean())
    return presence


def _holds_unglued(terms: np.ndarray, word: str) -> bool:
    """The word without a function character jieba glued to it ("年于" -> "年")."""
    if len(word) < 2:
        return False
    return (word[-1] in GLUED_CHARACTERS and _holds(terms, word[:-1])) or \
        (word[0] in GLUED_CHARACTERS and _holds(terms, word[1:]))


def _holds_as_numeral(terms: np.ndarray, word: str) -> bool:
    """A number the question wrote in digits (or cn2an turned into digits) that the text writes in Chinese."""
    if not (word.isascii() and word.isdigit()) or len(word) > 4:
        return False
    import cn2an  # here, not at the top: importing it takes 0.2 s, and most questions hold no number

    chinese = cn2an.an2cn(word)
    return _holds(terms, chinese) or (len(chinese) > 1 and bool(contains(terms, np.array(
        [bigram_key(a, b) for a, b in zip(chinese, chinese[1:])], np.int64)).all()))


def _holds(terms: np.ndarray, word: str) -> bool:
    key = word_key(word) if len(word) > 1 else ord(word)
    return bool(contains(terms, np.array([key], np.int64))[0])


def confidence_features(kb: KnowledgeBase, query: Query, sentence: int, segmenter: Segmenter) -> np.ndarray:
    """The features of FEATURES for the result led by `sentence`."""
    words, synonyms = query.content_words, query.content_synonyms
    if not words:
        return np.zeros(len(FEATURES), np.float32)
    rarity = np.array([min(segmenter.background_idf(w), RARITY_CEILING) for w in words], np.float64)
    total = rarity.sum()
    article = int(kb.passage_article[kb.sentence_passage[sentence]])
    first, last = kb.article_sentences(article)
    window = terms_of(kb, np.arange(max(first, sentence - 1), min(last, sentence + 2)))
    in_article = word_presence(words, synonyms, terms_of(kb, np.arange(first, last), kb.title_terms[article]))
    window_coverage = float((rarity * word_presence(words, synonyms, window)).sum() / total)
    rarest = np.argsort(-rarity, kind="stable")[:2]
    pairs = query.content_bigrams
    return np.array([
        window_coverage,
        (rarity * in_article).sum() / total,
        (rarity * word_presence(words, synonyms, terms_of(kb, np.array([sentence])))).sum() / total,
        (rarity[rarest] * in_article[rarest]).sum() / rarity[rarest].sum(),
        (rarity * (1.0 - in_article)).max() / RARITY_CEILING,
        title_named(kb.articles[article].title, query.normalized),
        float(contains(window, pairs).mean()) if len(pairs) else window_coverage,
        1.0 / (1 + len(words)),
        math.log10(max(1, len(kb.articles))),
    ], np.float32)


def confidence(features: np.ndarray, weights: tuple[float, ...] = WEIGHTS) -> float:
    z = weights[0] + float(np.dot(features, np.array(weights[1:], np.float64)))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

"""Synonym groups an admin can extend: a question word may stand for a word the article uses."""

from __future__ import annotations

from pathlib import Path

from bot.errors import ConfigError
from bot.text.normalize import normalize

# Words that questions and articles use for one another in factual Chinese text (when, where,
# who founded, died, belongs to...). Always on; knowledge/synonyms.yaml adds to them. On the dev
# sets they raised answer-in-top1 by 0.17 points (drcd) and 0.06 (cmrc).
DEFAULT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("创立", "创建", "成立", "建立", "创办", "始建", "设立"),
    ("去世", "逝世", "过世", "病逝", "辞世"),
    ("出生", "生于", "诞生"),
    ("位于", "坐落", "地处"),
    ("属于", "隶属", "归属"),
    ("爱好", "喜欢", "喜爱", "热爱"),
    ("出名", "闻名", "著名", "知名", "成名"),
    ("职业", "职务"),
    ("担任", "出任", "任职"),
    ("获得", "赢得", "荣获"),
    ("首都", "首府", "都城", "国都"),
    ("举办", "举行", "召开"),
    ("命名", "得名", "取名"),
    ("称为", "称作", "叫做", "又称"),
    ("组成", "构成"),
    ("开通", "通车", "启用", "开业"),
    ("改名", "更名", "易名"),
    ("签署", "签订"),
    ("攻占", "占领", "夺取"),
    ("统治", "执政"),
    ("妻子", "夫人", "配偶"),
    ("导演", "执导"),
    ("主演", "出演", "饰演"),
    ("发行", "出版", "发布"),
    ("首次", "第一次"),
    ("原名", "本名", "旧称", "原称"),
    ("建造", "修建", "兴建", "建成"),
    ("源自", "来自", "源于", "起源于"),
    ("由来", "来源", "起源"),
    ("死亡", "身亡", "阵亡"),
    ("加入", "加盟"),
    ("击败", "战胜", "打败"),
    ("获胜", "胜出", "夺冠"),
    ("居住", "定居"),
    ("搬迁", "迁移", "迁往"),
    ("海拔", "高度"),
    ("全长", "长度"),
)


def load_synonyms(path: Path) -> dict[str, tuple[str, ...]]:
    """The default groups plus a YAML list of groups (lists of words) at path, if there is one;
    returns each word's other words."""
    return synonym_map([*DEFAULT_GROUPS, *read_groups(path)])


def read_groups(path: Path) -> list[list[str]]:
    """The groups in an admin's synonyms file; none when it doesn't exist."""
    if not path.is_file():
        return []
    import yaml  # here: a base without a synonyms file needs no YAML

    try:
        groups = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or []
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        raise ConfigError(f"synonyms file {path} is not readable YAML") from None
    if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
        raise ConfigError(f"synonyms file {path} must be a list of lists of words")
    return groups


def synonym_map(groups) -> dict[str, tuple[str, ...]]:
    """Each word's other words, over every group it is in."""
    others: dict[str, list[str]] = {}
    for group in groups:
        words = [normalize(str(w)).strip() for w in group if str(w).strip()]
        for word in words:
            bucket = others.setdefault(word, [])
            bucket.extend(w for w in words if w != word and w not in bucket)
    return {word: tuple(rest) for word, rest in others.items()}

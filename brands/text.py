"""Chinese text for the search index: character unigrams and bigrams.

Wagtail's database search backend splits text on whitespace and punctuation, on SQLite (FTS5,
unicode61 tokenizer) and on PostgreSQL (to_tsvector) alike, so "垃圾分类" is one token and a search
for "垃圾" finds nothing. Linli indexes, beside the normal fields, every run of CJK characters as
its single characters and its overlapping pairs ("垃 圾 分 类 垃圾 圾分 分类"), and turns a query
the same way ("垃圾分类" -> "垃圾 圾分 分类", all required). A one-character query matches the
unigrams, a longer one every pair of it. Both databases then find Chinese words inside longer
ones with their own full-text index and ranking.
"""

import re

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
CJK_RUN = re.compile(f"[{CJK}]+")
# A run of CJK characters, or a run of other letters and digits; everything else separates.
WORD = re.compile(rf"[{CJK}]+|(?:(?![{CJK}])\w)+")


def has_cjk(text: str) -> bool:
    return bool(CJK_RUN.search(text or ""))


def bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def cjk_index_text(*texts: str) -> str:
    """Unigrams and bigrams of every CJK run in the texts, space-separated (for the index)."""
    terms: list[str] = []
    for text in texts:
        for run in CJK_RUN.findall(text or ""):
            terms.extend(run)
            terms.extend(bigrams(run))
    return " ".join(terms)


def query_terms(query: str) -> list[str]:
    """The terms to look for: CJK runs become their bigrams (or the character when alone),
    other words stay as they are. Punctuation separates terms."""
    terms: list[str] = []
    for word in WORD.findall(query or ""):
        if CJK_RUN.fullmatch(word):
            terms.extend(bigrams(word) if len(word) > 1 else [word])
        else:
            terms.append(word)
    return list(dict.fromkeys(terms))

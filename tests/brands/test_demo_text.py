"""Demo text reads like the Chinese it is: the news is dated in 2026, before the council's
demo proposals, and every Chinese sentence in the demo data uses full-width punctuation."""

import ast
import re
from datetime import date
from pathlib import Path

import pytest

from brands.demo import NEWS

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILES = sorted(ROOT.glob("*/demo.py"))
HAN = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
HALF_WIDTH = re.compile(r'[,.:;!?()"]')
# The oldest demo proposal is backdated 20 days (deliberation/demo.py) from the day the demo
# is loaded; in December 2026 that is mid-November.
COUNCIL_BEGINS = date(2026, 11, 16)


def test_news_is_dated_in_2026_before_the_council_demo():
    days = [item[2] for item in NEWS]
    assert all(day.year == 2026 for day in days), days
    assert all(day <= COUNCIL_BEGINS for day in days), days


def test_the_council_story_comes_after_the_older_news():
    by_slug = {item[0]: item[2] for item in NEWS}
    assert by_slug["blue-ribbon-emergency"] < by_slug["yuling-council-garbage"]


def chinese_strings(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            han = len(HAN.findall(text))
            if han and han >= len(LATIN.findall(text)):
                yield node.lineno, text


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.parent.name)
def test_chinese_demo_text_has_full_width_punctuation(path):
    assert DEMO_FILES, "no demo.py found"
    bad = [(line, text) for line, text in chinese_strings(path) if HALF_WIDTH.search(text)]
    assert bad == []

"""The Simplified Chinese catalog is complete, clean and up to date with the code.

Chinese is the default language, so an English string that slips through shows up on every
resident's phone. These tests fail when a .po entry is untranslated or fuzzy, when a translation
breaks a placeholder, and when the code has strings that `makemessages` would add untranslated.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGE = "zh_Hans"
CATALOGS = sorted((LOCALE_DIR / LANGUAGE / "LC_MESSAGES").glob("*.po"))

# The same folders the documented makemessages command leaves out.
IGNORED_DIRS = {".venv", "var", "bench", "tests", "node_modules", "staticfiles", "media"}
IGNORE_PATTERNS = [f"{name}/*" for name in sorted(IGNORED_DIRS)]
GETTEXT_TOOLS = ("xgettext", "msgmerge", "msguniq", "msgattrib")


def _read(path):
    with open(path, "rb") as fh:
        return read_po(fh)


def _untranslated(catalog):
    """Messages with an empty translation (any plural form) or a fuzzy flag."""
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not strings or not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
    return problems


def test_the_chinese_catalog_exists():
    assert (LOCALE_DIR / LANGUAGE / "LC_MESSAGES" / "django.po") in CATALOGS


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.name)
def test_every_entry_is_translated_and_none_is_fuzzy(path):
    catalog = _read(path)
    assert len(catalog) > 0
    assert not catalog.fuzzy, "the header is still marked fuzzy"
    assert catalog.mime_headers and dict(catalog.mime_headers).get("Language") == LANGUAGE
    headers = dict(catalog.mime_headers)
    assert headers.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    assert "charset=utf-8" in headers.get("Content-Type", "").lower()
    problems = _untranslated(catalog)
    assert not problems, f"{len(problems)} problem(s) in {path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.name)
def test_translations_keep_their_placeholders(path):
    catalog = _read(path)
    # Babel's checkers: python-format placeholders and the number of plural forms.
    errors = [
        f"{message.id!r}: {'; '.join(str(e) for e in errs)}" for message, errs in catalog.check()
    ]
    assert not errors, "\n".join(errors)
    if shutil.which("msgfmt"):
        result = subprocess.run(
            ["msgfmt", "--check-format", "--check-header", "-o", "/dev/null", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr


def _linked_project(tmp_path):
    """A copy of the project made of symlinks, with a real locale folder holding copies of the
    current catalogs, so makemessages can run without touching the real ones."""
    root = tmp_path / "project"
    root.mkdir()
    base = Path(settings.BASE_DIR)
    for entry in base.iterdir():
        if entry.name.startswith(".") or entry.name in IGNORED_DIRS or entry.name == "locale":
            continue
        (root / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    target = root / "locale" / LANGUAGE / "LC_MESSAGES"
    target.mkdir(parents=True)
    for path in CATALOGS:
        shutil.copy(path, target / path.name)
    return root, target


def _missing_strings(root, target):
    """Run makemessages in the linked project; return the entries it leaves untranslated."""
    problems = []
    for domain in ("django", "djangojs"):
        extracted = target / f"{domain}.po"
        if extracted.exists():
            os.utime(extracted, (0, 0))
        call_command(
            "makemessages",
            locale=[LANGUAGE],
            domain=domain,
            symlinks=True,
            ignore_patterns=IGNORE_PATTERNS,
            no_obsolete=True,
            verbosity=0,
        )
        if extracted.exists():
            assert extracted.stat().st_mtime > 0, f"makemessages did not rewrite {domain}.po"
            problems += [f"{domain}: {p}" for p in _untranslated(_read(extracted))]
    return problems


needs_gettext = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in GETTEXT_TOOLS),
    reason="GNU gettext tools (xgettext, msgmerge, ...) are not installed",
)


@needs_gettext
def test_the_catalog_is_up_to_date_with_the_code(tmp_path, monkeypatch, settings):
    before = {path: path.read_bytes() for path in CATALOGS}
    root, target = _linked_project(tmp_path)
    monkeypatch.chdir(root)
    settings.LOCALE_PATHS = [str(root / "locale")]
    problems = _missing_strings(root, target)
    # The real catalogs were not touched.
    assert {path: path.read_bytes() for path in CATALOGS} == before
    assert not problems, (
        f"{len(problems)} string(s) in the code are missing from locale/{LANGUAGE} "
        "(run makemessages and translate them):\n" + "\n".join(problems)
    )


@needs_gettext
def test_the_up_to_date_check_notices_a_new_string(tmp_path, monkeypatch, settings):
    root, target = _linked_project(tmp_path)
    probe = root / "zz_translation_probe"
    probe.mkdir()
    (probe / "probe.py").write_text(
        'from django.utils.translation import gettext as _\n\n_("A string nobody translated yet")\n'
    )
    monkeypatch.chdir(root)
    settings.LOCALE_PATHS = [str(root / "locale")]
    problems = _missing_strings(root, target)
    assert any("A string nobody translated yet" in p for p in problems), problems


# --- English -------------------------------------------------------------------------------------
# English is the source language: its catalog holds every msgid with an empty msgstr (gettext
# then shows the msgid itself). It must list every string of the code, like the Chinese one.

EN_CATALOGS = sorted((LOCALE_DIR / "en" / "LC_MESSAGES").glob("*.po"))


def _ids(catalog) -> set:
    return {
        (message.context, message.id if isinstance(message.id, str) else message.id[0])
        for message in catalog
        if message.id
    }


def test_the_english_catalog_exists_and_is_clean():
    assert (LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po") in EN_CATALOGS
    for path in EN_CATALOGS:
        catalog = _read(path)
        assert dict(catalog.mime_headers).get("Language") == "en", path.name
        assert not catalog.fuzzy, f"the header of {path.name} is still marked fuzzy"
        assert not [m.id for m in catalog if m.id and m.fuzzy], path.name


@needs_gettext
def test_the_english_catalog_is_up_to_date_with_the_code(tmp_path, monkeypatch, settings):
    root = tmp_path / "project"
    root.mkdir()
    base = Path(settings.BASE_DIR)
    for entry in base.iterdir():
        if entry.name.startswith(".") or entry.name in IGNORED_DIRS or entry.name == "locale":
            continue
        (root / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    target = root / "locale" / "en" / "LC_MESSAGES"
    target.mkdir(parents=True)
    before = {}
    for path in EN_CATALOGS:
        shutil.copy(path, target / path.name)
        before[path.stem] = _ids(_read(path))
    monkeypatch.chdir(root)
    settings.LOCALE_PATHS = [str(root / "locale")]
    missing = []
    for domain in ("django", "djangojs"):
        call_command(
            "makemessages",
            locale=["en"],
            domain=domain,
            symlinks=True,
            ignore_patterns=IGNORE_PATTERNS,
            no_obsolete=True,
            verbosity=0,
        )
        extracted = target / f"{domain}.po"
        if extracted.exists():
            new = _ids(_read(extracted)) - before.get(domain, set())
            missing += [f"{domain}: {msgid!r}" for _context, msgid in sorted(new, key=str)]
    assert not missing, (
        f"{len(missing)} string(s) in the code are missing from locale/en "
        "(run `make makemessages`):\n" + "\n".join(missing)
    )

"""Texts that services store (event payloads), rendered for every offered language.

A service that stores a sentence for people to read later cannot know the reader's language;
so it stores the sentence once per language in settings.LANGUAGES and the reader's page (or
live.js, or an API reply) picks one when it shows it:

    texts = localized(gettext_lazy("%(team)s took on “%(title)s”."), {"team": ..., "title": ...})
    data = {..., **text_fields(texts)}  # {"text": <default language>, "texts": {code: text}}

`text` stays in the site's default language (settings.LANGUAGE_CODE), so whatever reads it
goes on working; `texts` sits beside it. `pick(data)` gives the text in the active language,
falling back to `text`. Messages are lazy (gettext_lazy / pgettext_lazy) so that makemessages
finds them and each language renders its own translation; `%`-values may be lazy too (a status
label, a category name) and then translate as well, and dates and times are formatted in each
language's format.
"""

import datetime

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.functional import Promise


def languages() -> list[str]:
    """The offered language codes, the default one first."""
    codes = [code for code, _name in settings.LANGUAGES]
    default = settings.LANGUAGE_CODE
    return [default, *(code for code in codes if code != default)]


def _value(value):
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, dict):  # an already localized value: {code: text}
        return value.get(translation.get_language()) or value.get(settings.LANGUAGE_CODE, "")
    return value


def render(message, values=None) -> str:
    """`message % values` in the active language (lazy parts rendered now)."""
    text = str(message)
    if values is None:
        return text
    return text % {key: _value(value) for key, value in values.items()}


def localized(message, values=None) -> dict[str, str]:
    """{code: message % values} for every offered language, the default one first."""
    texts = {}
    for code in languages():
        with translation.override(code):
            texts[code] = render(message, values)
    return texts


def default_text(message, values=None) -> str:
    """`message % values` in the site's language, for texts stored once as content (a task's
    title made for a request for help): those are written in the community's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return render(message, values)


def text_fields(text, key: str = "text") -> dict:
    """The payload fields of a text: {key: default, key + "s": {code: text}} for a localized
    text (a dict from `localized`), {key: text} for a plain string (stored as it is)."""
    if isinstance(text, dict):
        return {key: text.get(settings.LANGUAGE_CODE, ""), f"{key}s": text}
    return {key: text}


def pick(data, key: str = "text", language: str | None = None) -> str:
    """data[key] in `language` (default: the active one) from data[key + "s"], else
    data[key] as it was stored ("" when missing)."""
    if not isinstance(data, dict):
        return ""
    texts = data.get(f"{key}s")
    if isinstance(texts, dict) and texts:
        code = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
        for candidate in (code, code.split("-")[0]):
            text = texts.get(candidate)
            if isinstance(text, str):
                return text
    text = data.get(key)
    return str(text) if text not in (None, "") else ""

"""One input rule for every way text reaches Linli: no control characters.

A control character (Unicode category Cc: C0, DEL and C1) other than tab, newline and carriage
return is never part of what a person means to write; NUL even makes PostgreSQL refuse the whole
query, which would answer 500. Every entry point refuses them with a 400 before the value reaches
a service or the database:

- `CleanStr`: the str type of every text field of the Ninja input schemas (pydantic, so the API
  answers its usual 400 {"detail", "code", "errors": {field: [...]}});
- `CleanInputMixin`: every text field of a Linli form gets `refuse_control_characters` as a
  validator, so pages show a form error;
- `ControlCharactersMiddleware`: the path and every query-string parameter of every URL (Ninja
  filters, Wagtail's pages API search, the site search, page filters), the session cookie and
  app session token, and the bodies of allauth's pages and headless API, whose forms Linli does
  not define: 400, JSON {"detail", "code", "errors"} under /api/ and /_allauth/, else a page.
"""

import json
import re
from typing import Annotated

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MESSAGE = gettext_lazy("Control characters are not allowed here.")
CODE = "control_characters"

JSON_PREFIXES = ("/api/", "/_allauth/")
# allauth's pages and headless API: their forms are allauth's, so their bodies are checked here.
BODY_PREFIXES = ("/accounts/", "/_allauth/")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def refuse_control_characters(value) -> None:
    """A Django validator (forms and model fields)."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(MESSAGE, code=CODE)


def _pydantic_check(value: str) -> str:
    if has_control_characters(value):
        raise PydanticCustomError(CODE, str(MESSAGE))
    return value


CleanStr = Annotated[str, AfterValidator(_pydantic_check)]
"""The str of every text field of an API input schema."""


class CleanInputMixin:
    """First base of every Linli form: its text fields refuse control characters (fields that
    a form adds in its own __init__ too: the check is put in place when the form validates)."""

    def full_clean(self):
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and (
                refuse_control_characters not in field.validators
            ):
                # Django's own NUL check says less than this one, which covers NUL too.
                field.validators = [
                    v
                    for v in field.validators
                    if not isinstance(v, ProhibitNullCharactersValidator)
                ] + [refuse_control_characters]
        super().full_clean()


def strings(value, name=""):
    """(name, text) of every string inside decoded JSON, keys included."""
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield name, str(key)
            yield from strings(item, key if not name else f"{name}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, name)


def _query_strings(request):
    for key, values in request.GET.lists():
        yield key, key
        for value in values:
            yield key, value


def _body_strings(request):
    content_type = request.content_type or ""
    if content_type.startswith(FORM_CONTENT_TYPES):
        for key, values in request.POST.lists():
            yield key, key
            for value in values:
                yield key, value
    elif content_type == "application/json" and request.body:
        try:
            data = json.loads(request.body)
        except ValueError:  # allauth answers a body it cannot read itself
            return
        yield from strings(data)


def offending_field(request) -> str | None:
    """The name of the first input with a control character ('path' for the URL), else None."""
    if has_control_characters(request.path_info):
        return "path"
    # Both are looked up in the database as they come.
    if has_control_characters(request.headers.get("X-Session-Token", "")):
        return "X-Session-Token"
    if has_control_characters(request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")):
        return settings.SESSION_COOKIE_NAME
    sources = [_query_strings(request)]
    if request.method in BODY_METHODS and request.path_info.startswith(BODY_PREFIXES):
        sources.append(_body_strings(request))
    for source in sources:
        for name, value in source:
            if has_control_characters(value):
                return name or "__all__"
    return None


def refused(request, field: str) -> HttpResponse:
    message = str(MESSAGE)
    if request.path_info.startswith(JSON_PREFIXES):
        return JsonResponse(
            {"detail": message, "code": "invalid", "errors": {field: [message]}}, status=400
        )
    html = render_to_string("400.html", {"detail": message, "field": field}, request=request)
    return HttpResponse(html, status=400)


class ControlCharactersMiddleware:
    """After LocaleMiddleware (the reply is in the person's language) and CorsMiddleware,
    before anything that reads the session, the user or the view's input."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = offending_field(request)
        if field is not None:
            return refused(request, field)
        return self.get_response(request)

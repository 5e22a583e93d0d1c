"""`large_text` for every template: the signed-in person's saved choice, else the cookie."""

LARGE_TEXT_COOKIE = "linli_large_text"
LARGE_TEXT_MAX_AGE = 5 * 365 * 24 * 60 * 60  # five years: "remembered" for anonymous visitors


def large_text_enabled(request) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return bool(user.large_text)
    return request.COOKIES.get(LARGE_TEXT_COOKIE) == "1"


def large_text(request):
    return {"large_text": large_text_enabled(request)}

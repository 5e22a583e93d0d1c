from django.template.response import TemplateResponse

from .search import search


def search_view(request):
    query = request.GET.get("q", "")
    results = search(query) if query.strip() else None
    return TemplateResponse(
        request, "brands/search.html", {"query": query.strip(), "results": results}
    )

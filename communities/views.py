from django.shortcuts import get_object_or_404, render

from .models import Community


def community_list(request):
    communities = Community.objects.select_related("parent")
    return render(request, "communities/community_list.html", {"communities": communities})


def community_detail(request, pk):
    community = get_object_or_404(Community, pk=pk)
    return render(request, "communities/community_detail.html", {"community": community})

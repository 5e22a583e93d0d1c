from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def profile(request):
    memberships = request.user.memberships.select_related("community")
    return render(request, "accounts/profile.html", {"memberships": memberships})

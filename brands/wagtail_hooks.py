"""Registers the staff figures panel (brands.admin) on the admin dashboard."""

from wagtail import hooks

from .admin.panels import CommunityFiguresPanel
from .figures import dashboard_communities


@hooks.register("construct_homepage_panels")
def add_community_figures_panel(request, panels):
    communities = dashboard_communities(request.user)
    if communities:
        panels.append(CommunityFiguresPanel(communities))

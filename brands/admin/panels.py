"""The staff figures panel on the admin dashboard."""

from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.admin.ui.components import Component

from deliberation.models import Category, Proposal

from ..charts import bar_chart, column_chart
from ..figures import community_figures


class CommunityFiguresPanel(Component):
    """Proposals by status and category, median times and approved hours, per community.

    Of several communities (a superuser sees every district) only those with figures get a
    panel; the others are named in one line rather than shown as a row of empty charts.
    """

    name = "community_figures"
    template_name = "brands/admin/dashboard_panel.html"
    order = 90

    def __init__(self, communities):
        self.communities = communities

    def get_context_data(self, parent_context=None):
        today = timezone.localdate()
        statuses = dict(Proposal.Status.choices)
        categories = dict(Category.choices)
        panels = []
        without_figures = []
        for community in self.communities:
            figures = community_figures(community, today=today)
            if len(self.communities) > 1 and not has_figures(figures):
                without_figures.append(community)
                continue
            panels.append(
                {
                    "panel_id": f"community-figures-{community.pk}",
                    "figures": figures,
                    "status_chart": bar_chart(
                        [(str(statuses[key]), n) for key, n in figures.by_status],
                        title=_("Proposals by status"),
                    ),
                    "category_chart": bar_chart(
                        [(str(categories[key]), n) for key, n in figures.by_category],
                        title=_("Proposals by category"),
                    ),
                    "hours_chart": column_chart(
                        [(month.strftime("%m"), float(h)) for month, h in figures.hours_by_month],
                        title=_("Approved service hours per month"),
                    ),
                }
            )
        return {"panels": panels, "without_figures": without_figures}


def has_figures(figures):
    return bool(
        figures.proposals
        or figures.decision_to_claim_days is not None
        or figures.claim_to_done_days is not None
        or any(hours for _month, hours in figures.hours_by_month)
    )

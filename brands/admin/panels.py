"""The staff figures panel on the admin dashboard."""

from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.admin.ui.components import Component

from deliberation.models import Category, Proposal

from ..charts import bar_chart, column_chart
from ..figures import community_figures


class CommunityFiguresPanel(Component):
    """Proposals by status and category, median times and approved hours, per community."""

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
        for community in self.communities:
            figures = community_figures(community, today=today)
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
        return {"panels": panels}

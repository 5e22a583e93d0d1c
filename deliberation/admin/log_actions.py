"""The audit log actions of the council and how the admin shows them."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogFormatter

from core.admin_views import reason_formatter

LOG_ACTIONS = {
    "linli.proposal.create": (_("Create proposal"), _("Proposal created")),
    "linli.proposal.assisted": (
        _("File a proposal for a resident"),
        _("Proposal filed by staff for a resident at the service station"),
    ),
    "linli.proposal.edit": (_("Edit proposal"), _("Proposal edited")),
    "linli.proposal.submit": (_("Submit proposal"), _("Proposal submitted")),
    "linli.proposal.publish": (_("Publish proposal"), _("Proposal published")),
    "linli.proposal.withdraw": (_("Withdraw proposal"), _("Proposal withdrawn")),
    "linli.proposal.restore": (_("Restore proposal"), _("Proposal shown again")),
    "linli.proposal.voting_open": (_("Open the vote"), _("Voting opened")),
    "linli.proposal.follow": (_("Follow proposal"), _("Proposal followed")),
    "linli.proposal.unfollow": (_("Unfollow proposal"), _("Proposal unfollowed")),
    "linli.comment.create": (_("Comment"), _("Comment posted")),
    "linli.comment.restore": (_("Restore comment"), _("Comment shown again")),
    "linli.report.create": (_("Report"), _("Reported to staff")),
    "linli.meeting.schedule": (_("Schedule meeting"), _("Meeting scheduled")),
    "linli.meeting.agenda": (_("Change agenda"), _("Agenda changed")),
    "linli.meeting.attendance": (_("Record attendance"), _("Attendance recorded")),
    "linli.meeting.minutes": (_("Record minutes"), _("Minutes recorded")),
    "linli.meeting.decision": (_("Record decision"), _("Decision recorded")),
    "linli.meeting.cancel": (_("Cancel meeting"), _("Meeting cancelled")),
    "linli.council.rules": (_("Change council rules"), _("Council rules changed")),
}


class DecideFormatter(LogFormatter):
    label = _("Record decision")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        tally = data.get("tally") or {}
        status = {"accepted": gettext("accepted"), "rejected": gettext("not accepted")}.get(
            data.get("status"), data.get("status", "?")
        )
        return gettext(
            "Decided: %(status)s (%(support)s support, %(oppose)s oppose, %(abstain)s abstain)"
        ) % {
            "status": status,
            "support": tally.get("support", 0),
            "oppose": tally.get("oppose", 0),
            "abstain": tally.get("abstain", 0),
        }


class VoteFormatter(LogFormatter):
    label = _("Vote")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return gettext("Vote cast: %(choice)s") % {"choice": data.get("choice", "?")}


class AssistedVoteFormatter(LogFormatter):
    label = _("Record a vote for a resident")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return gettext("Vote recorded for resident #%(voter)s: %(choice)s") % {
            "voter": data.get("voter", "?"),
            "choice": data.get("choice", "?"),
        }


#: The formatter of each action whose entries are not one fixed message.
FORMATTERS = {
    "linli.proposal.return": reason_formatter(
        _("Return proposal"), _("Proposal returned to its author")
    ),
    "linli.proposal.hide": reason_formatter(_("Hide proposal"), _("Proposal hidden")),
    "linli.comment.hide": reason_formatter(_("Hide comment"), _("Comment hidden")),
    "linli.proposal.decide": DecideFormatter,
    "linli.vote.cast": VoteFormatter,
    "linli.vote.assisted": AssistedVoteFormatter,
}

"""Residents' council: rules, proposals, discussion, votes, follows and meetings.

Invariants the database holds:
- one council per community (`Council.community` is one-to-one);
- council rules in range (check constraints on quorum, threshold and voting days);
- one vote per voter and proposal (`vote_unique_voter`): a repeated vote is an upsert;
- a voting window closes after it opens (`proposal_window_order`);
- a report names exactly one target and is unique per reporter and target;
- one follow per person and proposal; a proposal appears once per meeting agenda.

State changes happen in `deliberation.services`; the tally arithmetic is in
`deliberation.tally` (pure functions).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from core.images import RandomName
from core.private_media import private_storage

MAX_PHOTOS = 4


def _url(name: str, args: list, fallback: str) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


class Category(models.TextChoices):
    SANITATION = "sanitation", _("Garbage and sanitation")
    GREENERY = "greenery", _("Greenery")
    ELDERLY_CARE = "elderly-care", _("Elderly care")
    CHILDREN = "children", _("Children")
    SAFETY = "safety", _("Safety")
    TRAFFIC = "traffic", _("Traffic")
    FACILITIES = "facilities", _("Facilities")
    OTHER = "other", _("Other")


# Which volunteer skills (teams.Skill slugs) the follow-up task of an accepted proposal asks for.
CATEGORY_SKILLS: dict[str, list[str]] = {
    "sanitation": ["sanitation"],
    "greenery": ["greening"],
    "elderly-care": ["elderly-care"],
    "children": ["child-care"],
    "safety": ["fire-safety"],
    "traffic": ["traffic"],
    "facilities": ["repairs"],
    "other": [],
}


class Council(models.Model):
    """The residents' council (议事会) of one community and its voting rules."""

    # Not worth Wagtail's reference index (an extra query on every save).
    wagtail_reference_index_ignore = True

    class Voters(models.TextChoices):
        RESIDENTS = "residents", _("Every verified resident")
        REPRESENTATIVES = "representatives", _("Council representatives only")

    class QuorumKind(models.TextChoices):
        VOTES = "votes", _("A minimum number of votes")
        SHARE = "share", _("A share of the eligible voters")

    community = models.OneToOneField(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, related_name="council"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    voters = models.CharField(
        _("who votes"), max_length=20, choices=Voters.choices, default=Voters.RESIDENTS
    )
    quorum_kind = models.CharField(
        _("quorum"), max_length=10, choices=QuorumKind.choices, default=QuorumKind.VOTES
    )
    quorum_votes = models.PositiveIntegerField(
        _("minimum number of votes"),
        default=5,
        help_text=_("Used when the quorum is a number of votes. Abstentions count."),
    )
    quorum_percent = models.PositiveSmallIntegerField(
        _("minimum share of eligible voters (%)"),
        default=0,
        help_text=_("Used when the quorum is a share of the eligible voters. Abstentions count."),
    )
    pass_percent = models.PositiveSmallIntegerField(
        _("pass threshold (%)"),
        default=50,
        help_text=_(
            "A proposal passes when support is more than this share of support plus "
            "oppose. 50 means a simple majority; a tie does not pass."
        ),
    )
    voting_days = models.PositiveSmallIntegerField(_("default voting days"), default=7)
    hide_tally = models.BooleanField(
        _("hide the tally until the vote closes"),
        default=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("council")
        verbose_name_plural = _("councils")
        ordering = ["community__path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quorum_percent__lte=100), name="council_quorum_percent_range"
            ),
            models.CheckConstraint(
                condition=Q(pass_percent__gte=1, pass_percent__lte=99),
                name="council_pass_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(voting_days__gte=1, voting_days__lte=90),
                name="council_voting_days_range",
            ),
        ]

    def __str__(self):
        return self.name or str(_("Council of %(community)s") % {"community": self.community})

    @property
    def rules(self):
        from .tally import Rules

        return Rules(
            representatives_only=self.voters == self.Voters.REPRESENTATIVES,
            quorum_kind=self.quorum_kind,
            quorum_votes=self.quorum_votes,
            quorum_percent=self.quorum_percent,
            pass_percent=self.pass_percent,
        )


class ProposalQuerySet(models.QuerySet):
    def published(self):
        """Published (past staff review) and not hidden: what everyone may see."""
        return self.filter(published_at__isnull=False, hidden=False)

    def for_lists(self):
        return self.select_related("council__community", "author", "task__team")


class Proposal(models.Model):
    # Not worth Wagtail's reference index (an extra query on every save).
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        DISCUSSION = "discussion", _("In discussion")
        VOTING = "voting", _("Voting")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    EDITABLE = ("draft", "submitted")
    WITHDRAWABLE = ("draft", "submitted", "discussion")
    DECIDED = ("accepted", "rejected")
    # Statuses in which signed-in members may comment.
    COMMENTABLE = ("discussion", "voting", "accepted", "rejected")

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.PROTECT, related_name="proposals"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("description"), max_length=5000)
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    return_reason = models.CharField(_("reason for returning"), max_length=500, blank=True)
    withdraw_reason = models.CharField(_("reason for withdrawing"), max_length=500, blank=True)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(_("reason for hiding"), max_length=500, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hidden by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when hidden automatically after reports."),
    )
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    voting_opens_at = models.DateTimeField(_("voting opens"), null=True, blank=True)
    voting_closes_at = models.DateTimeField(_("voting closes"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.TextField(_("outcome"), max_length=2000, blank=True)
    assisted = models.BooleanField(
        _("assisted"),
        default=False,
        help_text=_("Filed by staff on behalf of the author at the service station."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Set by the phone for a draft sent after being offline: a retry cannot file it twice.
    client_key = models.UUIDField(_("client key"), null=True, blank=True, editable=False)
    # The count at the decision, taken from the vote rows (a record, not a live counter).
    final_support = models.PositiveIntegerField(_("support"), null=True, blank=True)
    final_oppose = models.PositiveIntegerField(_("oppose"), null=True, blank=True)
    final_abstain = models.PositiveIntegerField(_("abstain"), null=True, blank=True)
    final_eligible = models.PositiveIntegerField(_("eligible voters"), null=True, blank=True)
    task = models.OneToOneField(
        "teams.Task",
        verbose_name=_("follow-up task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposal",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["council", "status"], name="proposal_council_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(voting_opens_at__isnull=True)
                | Q(voting_closes_at__isnull=True)
                | Q(voting_closes_at__gt=models.F("voting_opens_at")),
                name="proposal_window_order",
            ),
            models.UniqueConstraint(
                fields=["author", "client_key"],
                condition=Q(client_key__isnull=False),
                name="proposal_client_key_once",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return _url("deliberation:proposal_detail", [self.pk], f"/council/proposals/{self.pk}/")

    @property
    def community(self) -> Community:
        return self.council.community

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def voting_is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status == self.Status.VOTING
            and self.voting_opens_at is not None
            and self.voting_closes_at is not None
            and self.voting_opens_at <= now < self.voting_closes_at
        )

    @property
    def is_decided(self) -> bool:
        return self.status in self.DECIDED


class ProposalPhoto(models.Model):
    # Not worth Wagtail's reference index (an extra query on every save).
    wagtail_reference_index_ignore = True
    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="photos"
    )
    # Access-checked (core.private_media): served by `url`, never by a path of its own.
    image = models.ImageField(
        _("photo"), storage=private_storage, upload_to=RandomName("proposals")
    )
    rendition = models.ImageField(
        _("photo for phones"),
        storage=private_storage,
        upload_to=RandomName("proposals"),
        blank=True,
    )
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("proposal photo")
        verbose_name_plural = _("proposal photos")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.proposal} #{self.pk}"

    @property
    def url(self) -> str:
        """The access-checked address of the photo (a rendition; `?size=original`)."""
        return reverse("proposal-photo", args=[self.pk])


class CommentQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(hidden=False)


class Comment(models.Model):
    """A comment on a proposal; `parent` makes it a reply (one level only)."""

    # Not worth Wagtail's reference index (an extra query on every save).
    wagtail_reference_index_ignore = True

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="council_comments",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("reply to"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
    )
    body = models.TextField(_("comment"), max_length=2000)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(_("reason for hiding"), max_length=500, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hidden by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when hidden automatically after reports."),
    )
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["proposal", "created_at"], name="comment_proposal_time")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="comment_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.body[:40]


class Report(models.Model):
    """Someone signed in flags a proposal or a comment for staff review."""

    # Not worth Wagtail's reference index (an extra query on every save).
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld (content hidden)")
        DISMISSED = "dismissed", _("Dismissed (content restored)")

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.CASCADE,
        related_name="council_reports",
    )
    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("proposal"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reports",
    )
    comment = models.ForeignKey(
        Comment,
        verbose_name=_("comment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reports",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(proposal__isnull=False, comment__isnull=True)
                | Q(proposal__isnull=True, comment__isnull=False),
                name="report_one_target",
            ),
            models.UniqueConstraint(
                fields=["reporter", "proposal"],
                condition=Q(proposal__isnull=False),
                name="report_unique_proposal",
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"],
                condition=Q(comment__isnull=False),
                name="report_unique_comment",
            ),
        ]

    def __str__(self):
        return f"{self.reporter} → {self.proposal or self.comment}"

    @property
    def target(self):
        return self.proposal if self.proposal_id else self.comment


class Vote(models.Model):
    # Not worth Wagtail's reference index (an extra query on every save).
    wagtail_reference_index_ignore = True

    class Choice(models.TextChoices):
        SUPPORT = "support", _("Support")
        OPPOSE = "oppose", _("Oppose")
        ABSTAIN = "abstain", _("Abstain")

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="votes"
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voter"),
        on_delete=models.CASCADE,
        related_name="council_votes",
    )
    choice = models.CharField(_("choice"), max_length=10, choices=Choice.choices)
    assisted = models.BooleanField(
        _("recorded by staff"),
        default=False,
        help_text=_("Staff recorded this vote for a resident who cannot use a phone."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("first cast at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["proposal_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "voter"], name="vote_unique_voter"),
            models.CheckConstraint(
                condition=Q(choice__in=["support", "oppose", "abstain"]),
                name="vote_choice_valid",
            ),
        ]

    def __str__(self):
        return f"{self.voter} {self.choice} {self.proposal}"


class Follow(models.Model):
    # Not worth Wagtail's reference index (an extra query on every save).
    wagtail_reference_index_ignore = True
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="proposal_follows",
    )
    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(_("followed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        ordering = ["proposal_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "proposal"], name="follow_unique_user"),
        ]

    def __str__(self):
        return f"{self.user} → {self.proposal}"


class Meeting(models.Model):
    """A council meeting (议事会): time, place, agenda, attendance, minutes and decisions."""

    # Not worth Wagtail's reference index (an extra query on every save).
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.CASCADE, related_name="meetings"
    )
    title = models.CharField(_("title"), max_length=120, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    agenda = models.ManyToManyField(
        Proposal,
        verbose_name=_("agenda"),
        through="AgendaItem",
        blank=True,
        related_name="meetings",
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendees with an account"),
        blank=True,
        related_name="council_meetings",
    )
    other_attendees = models.TextField(
        _("other attendees"),
        max_length=2000,
        blank=True,
        help_text=_("Names of people without an account, one per line."),
    )
    attendance_count = models.PositiveIntegerField(
        _("number of people present"),
        default=0,
        help_text=_("Everyone present, with or without an account."),
    )
    minutes = models.TextField(_("minutes"), max_length=20000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scheduled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("council meeting")
        verbose_name_plural = _("council meetings")
        ordering = ["-starts_at", "-id"]

    def __str__(self):
        return self.title or f"{self.council} {timezone.localtime(self.starts_at):%Y-%m-%d}"

    def get_absolute_url(self):
        return _url("deliberation:meeting_detail", [self.pk], f"/council/meetings/{self.pk}/")


class AgendaItem(models.Model):
    # Not worth Wagtail's reference index (an extra query on every save).
    wagtail_reference_index_ignore = True
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="items"
    )
    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("proposal"),
        on_delete=models.CASCADE,
        related_name="agenda_items",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    decision = models.TextField(_("decision taken"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "proposal"], name="agenda_unique_proposal"),
        ]

    def __str__(self):
        return f"{self.meeting}: {self.proposal}"

"""Council pages: the community's council, proposals, discussion, votes, meetings.

Thin: read with a fixed number of queries, change state only through `deliberation.services`,
ask `deliberation.permissions` what to show. Every action is a plain POST form (CSRF), answered
with a redirect; errors come back as form errors or messages. Proposals a person may not see
answer 404, like ids that do not exist.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import is_signed_in
from communities.models import Community
from core import ids
from core.errors import ServiceError
from core.pages import apply_error, error_status, next_url, with_retry_after
from live.models import Event
from live.topics import event_labels

from . import permissions as perms
from . import selectors, services
from .forms import (
    AssistedVoteForm,
    AttendanceForm,
    CommentForm,
    DecisionForm,
    MeetingDecisionForm,
    MeetingForm,
    MinutesForm,
    OpenVotingForm,
    ProposalEditForm,
    ProposalForm,
    ReasonForm,
    ReplyForm,
    RequiredReasonForm,
    SearchForm,
    VoteForm,
    follow_up_choices,
)
from .models import Comment, Council, Meeting, Proposal, ProposalPhoto, Vote

PAGE_SIZE = 20
COMMENTS_PAGE_SIZE = 50

TABS = selectors.TABS


def tab_labels() -> dict[str, str]:
    return {
        "all": _("All"),
        "discussion": _("In discussion"),
        "voting": _("Voting"),
        "decided": _("Decided"),
        "withdrawn": _("Withdrawn"),
        "review": _("Waiting for review"),
    }


# --- helpers -----------------------------------------------------------------------------------


def _not_allowed(request, message: str, *, community=None, status: int = 403):
    return render(
        request,
        "deliberation/not_allowed.html",
        {"message": message, "community": community},
        status=status,
    )


def _id(value) -> int:
    """A URL or form id in range, else 404 (never a database error)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    ids.require_in_range(number)
    return number


def _since(topic: str) -> int:
    """The newest event id of a topic: the page is drawn from the state after it."""
    return (
        Event.objects.filter(topic=topic).order_by("-id").values_list("id", flat=True).first() or 0
    )


def _decorate(proposals, *, staff: bool) -> list:
    """Set `tally` and `comments_count` on a page of proposals with their councils (two
    queries)."""
    proposals = list(proposals)
    shown = [
        p.pk
        for p in proposals
        if p.status == "voting" and selectors.running_tally_shown(p, staff=staff)
    ]
    running = selectors.tallies_for(proposal_ids=shown)
    counts = selectors.comment_counts(proposal_ids=[p.pk for p in proposals])
    for p in proposals:
        p.comments_count = counts.get(p.pk, 0)
        p.tally = _as_dict(selectors.shown_tally(p, running=running.get(p.pk), staff=staff))
    return proposals


def _as_dict(tally) -> dict | None:
    return tally.as_dict() if tally is not None else None


def _get_community(community_id) -> Community:
    return get_object_or_404(Community, pk=_id(community_id))


def _get_proposal(request, pk, *, photos: bool = False) -> Proposal:
    proposal = selectors.visible_proposal(
        viewer=request.user, pk=_id(pk), photos=photos, moderation=True
    )
    if proposal is None:
        raise Http404
    return proposal


# --- councils ----------------------------------------------------------------------------------


def council_index(request):
    """Every community that has a residents' council."""
    councils = list(
        Council.objects.select_related("community__parent").order_by("community__path", "pk")
    )
    return render(request, "deliberation/council_index.html", {"councils": councils})


def council(request, community_id):
    """A community's council: its rules and proposals by status, filtered and searchable."""
    community = _get_community(community_id)
    council = selectors.council_of(community)
    user = request.user
    if council is None:
        return render(
            request,
            "deliberation/council.html",
            {"community": community, "council": None},
        )
    staff = perms.is_council_staff(user, community)
    form = SearchForm(request.GET or None)
    term, category = "", ""
    if form.is_valid():
        term = form.cleaned_data["q"].strip()
        category = form.cleaned_data["category"]
    base = selectors.proposal_list(
        viewer=user, staff=staff, council=council, category=category, term=term
    )
    counts = selectors.tab_counts(base)
    tab = request.GET.get("status", "all")
    if tab not in TABS:
        tab = "all"
    labels = tab_labels()
    tabs = [
        {"slug": slug, "label": labels[slug], "count": counts[slug]}
        for slug in TABS
        if slug in ("all", "discussion", "voting", "decided") or counts[slug] or slug == tab
    ]
    qs = base if TABS[tab] is None else base.filter(status__in=TABS[tab])
    qs = selectors.proposal_page(qs, closing_first=tab == "voting", with_council=False)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    proposals = list(page.object_list)
    for p in proposals:
        p.council = council
    proposals = _decorate(proposals, staff=staff)

    query = request.GET.copy()
    query.pop("page", None)
    query.pop("status", None)
    return render(
        request,
        "deliberation/council.html",
        {
            "community": community,
            "council": council,
            "form": form,
            "tabs": tabs,
            "tab": tab,
            "page": page,
            "proposals": proposals,
            "filters": query.urlencode(),
            "term": term,
            "is_staff": staff,
            "can_propose": perms.may_propose(user, community),
            "now": timezone.now(),
        },
    )


# --- proposal page -----------------------------------------------------------------------------


def _threads(request, proposal: Proposal, *, staff: bool):
    """Top-level comments (a page) with their replies, and how many comments one sees: four
    queries however many there are."""
    qs = selectors.visible_comments(
        viewer=request.user, proposal=proposal, staff=staff, moderation=True
    )
    page = Paginator(selectors.top_level(qs), COMMENTS_PAGE_SIZE).get_page(
        request.GET.get("comments")
    )
    threads = list(page.object_list)
    replies = selectors.replies_by_thread(qs, threads=threads)
    for comment in threads:
        comment.reply_list = replies.get(comment.pk, [])
    return page, threads, qs.count()


def _proposal_context(request, proposal: Proposal, **bound):
    """Everything the proposal page shows; `bound` replaces a form with its bound copy."""
    user = request.user
    signed_in = is_signed_in(user)
    council = proposal.council
    staff = perms.is_council_staff(user, proposal)
    author = perms.is_author(user, proposal)
    now = timezone.now()
    photos = list(proposal.photos.all())

    # Tally: running while voting (unless hidden), the recorded count once decided.
    voting = proposal.status == "voting"
    tally_hidden = voting and not selectors.running_tally_shown(proposal, staff=staff)
    running = selectors.count_votes(proposal) if voting and not tally_hidden else None
    tally = _as_dict(selectors.shown_tally(proposal, running=running, staff=staff))

    my_vote = None
    following = False
    can_vote = False
    may_vote = False
    if signed_in:
        my_vote = selectors.vote_of(voter=user, proposal=proposal)
        following = selectors.is_following(user=user, proposal=proposal)
        if proposal.status == "voting":
            may_vote = perms.may_vote(user, proposal)
            can_vote = may_vote and not proposal.hidden and proposal.voting_is_open(now)

    can_comment = signed_in and perms.can_comment(user, proposal)
    comments_page, threads, comments_count = _threads(request, proposal, staff=staff)
    reply_forms = bound.get("reply_forms") or {}
    if can_comment:
        for thread in threads:
            thread.reply_form = reply_forms.get(thread.pk) or ReplyForm(
                initial={"parent": thread.pk}, auto_id=f"id_reply{thread.pk}_%s"
            )
    can_report_comments = signed_in and perms.can_view_proposal(user, proposal)

    forms = {}
    if can_comment:
        forms["comment_form"] = bound.get("comment_form") or CommentForm()
    if can_vote:
        forms["vote_form"] = bound.get("vote_form") or VoteForm()
    # Staff judge others' proposals only (perms.may_judge): no buttons on their own.
    judge = staff and not perms.is_own_proposal(user, proposal)
    if staff:
        if judge and proposal.status == "submitted":
            forms["return_form"] = bound.get("return_form") or RequiredReasonForm(prefix="return")
        if judge and proposal.hidden:
            forms["restore_form"] = bound.get("restore_form") or ReasonForm(prefix="restore")
        elif judge:
            forms["hide_form"] = bound.get("hide_form") or RequiredReasonForm(prefix="hide")
        if proposal.status == "discussion" and not proposal.hidden:
            forms["voting_form"] = bound.get("voting_form") or OpenVotingForm(prefix="voting")
        if proposal.status == "voting":
            if judge:
                forms["decision_form"] = bound.get("decision_form") or DecisionForm(
                    prefix="decision", proposal=proposal, follow_up=follow_up_choices(proposal)
                )
            if judge and proposal.voting_is_open(now):
                forms["assisted_form"] = bound.get("assisted_form") or AssistedVoteForm(
                    prefix="assisted",
                    voters=_assisted_voters(council, user).exclude(
                        pk__in=perms.residents_who_voted_themselves(proposal)
                    ),
                )
    if perms.can_withdraw(user, proposal):
        forms["withdraw_form"] = bound.get("withdraw_form") or ReasonForm(prefix="withdraw")
    if signed_in and not author and perms.can_report(user, proposal):
        forms["report_form"] = bound.get("report_form") or ReasonForm(prefix="report")

    task = proposal.task
    task_visible = task is not None and _task_visible(user, task)
    eligible = None
    if proposal.final_eligible is not None or (staff and voting):
        eligible = selectors.eligible_count(proposal)

    return {
        "proposal": proposal,
        "council": council,
        "community": council.community,
        "outcome": services.outcome_text(proposal),
        "photos": photos,
        "is_staff": staff,
        "is_author": author,
        "tally": tally,
        "tally_hidden": tally_hidden,
        "eligible": eligible,
        "voting_open": proposal.voting_is_open(now),
        "now": now,
        "my_vote": my_vote,
        "following": following,
        "may_vote": may_vote,
        "can_vote": can_vote,
        "can_follow": signed_in,
        "can_edit": perms.can_edit(user, proposal),
        "can_submit": perms.can_submit(user, proposal),
        "can_publish": judge and proposal.status == "submitted",
        # perms.can_moderate: never comments of one's own or on one's own proposal.
        "moderates_comments": judge,
        "can_comment": can_comment,
        "can_report_comments": can_report_comments,
        "threads": threads,
        "comments_page": comments_page,
        "comments_count": comments_count,
        "choices": Vote.Choice.choices,
        "task": task if task_visible else None,
        "task_since": _since(f"task:{task.pk}") if task_visible else 0,
        "since": _since(services.proposal_topic(proposal)),
        "status_labels": {value: str(label) for value, label in Proposal.Status.choices},
        "task_status_labels": _task_status_labels(),
        "labels": event_labels(),
        **forms,
    }


def _task_visible(user, task) -> bool:
    from teams.permissions import can_see_task_details

    return can_see_task_details(user, task)


def _task_has_takers(task) -> bool:
    from teams.permissions import eligible_teams

    return eligible_teams(task).exists()


def _task_status_labels() -> dict:
    from teams.models import Task

    return {value: str(label) for value, label in Task.Status.choices}


def _assisted_voters(council: Council, actor):
    User = get_user_model()
    ids = perms.eligible_voters(council).values("user_id")
    qs = User.objects.filter(pk__in=ids).order_by("display_name", "email")
    if is_signed_in(actor):
        qs = qs.exclude(pk=actor.pk)
    return qs


def proposal_detail(request, pk):
    proposal = _get_proposal(request, pk, photos=True)
    return render(
        request, "deliberation/proposal_detail.html", _proposal_context(request, proposal)
    )


PROPOSAL_PARTS = ("status", "controls", "vote", "discussion")


@require_GET
def proposal_parts(request, pk):
    """The parts of the proposal page that change with its state, drawn for this reader as
    the page draws them: deliberation-proposal.js swaps them in after a live event instead
    of asking for a reload. Same rule as the page (404 for a proposal one may not see)."""
    proposal = _get_proposal(request, pk, photos=True)
    context = _proposal_context(request, proposal)
    parts = {
        name: render_to_string(f"deliberation/_proposal_{name}.html", context, request=request)
        for name in PROPOSAL_PARTS
    }
    response = JsonResponse(
        {"status": proposal.status, "status_label": proposal.get_status_display(), "parts": parts}
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def _rerender(request, pk, status, **bound):
    proposal = selectors.proposals(photos=True, moderation=True).get(pk=_id(pk))
    context = _proposal_context(request, proposal, **bound)
    return render(request, "deliberation/proposal_detail.html", context, status=status)


def _proposal_action(request, pk, call, *, form=None, form_name=None, anchor="", keep=False):
    """POST handler shared by the proposal page's forms.

    A valid form -> the service -> a redirect with a message. An invalid form, a field error
    from the service, or (with `keep`, for forms with typed text) any service error -> the page
    again with the bound form, so nothing typed is lost.
    """
    proposal = _get_proposal(request, pk)
    target = proposal.get_absolute_url() + anchor
    if form is None or form.is_valid():
        try:
            message = call(proposal, form.cleaned_data if form is not None else {})
        except (ServiceError, ValidationError) as exc:
            apply_error(request, exc, form)
            if form is None or not (keep or form.errors):
                return redirect(next_url(request, target))
            response = _rerender(request, proposal.pk, error_status(exc), **{form_name: form})
            return with_retry_after(response, exc)
        if message:
            messages.success(request, message)
        return redirect(next_url(request, target))
    return _rerender(request, proposal.pk, 400, **{form_name: form})


@login_required
@require_POST
def proposal_submit(request, pk):
    def call(proposal, data):
        services.submit_proposal(actor=request.user, proposal=proposal)
        return _("Your proposal was sent to the community staff for review.")

    return _proposal_action(request, pk, call)


@login_required
@require_POST
def proposal_withdraw(request, pk):
    def call(proposal, data):
        services.withdraw_proposal(actor=request.user, proposal=proposal, reason=data["reason"])
        return _("Your proposal was withdrawn.")

    form = ReasonForm(request.POST, prefix="withdraw")
    return _proposal_action(request, pk, call, form=form, form_name="withdraw_form")


@login_required
@require_POST
def proposal_publish(request, pk):
    def call(proposal, data):
        services.publish_proposal(actor=request.user, proposal=proposal)
        return _("The proposal is published and open for discussion.")

    return _proposal_action(request, pk, call)


@login_required
@require_POST
def proposal_return(request, pk):
    def call(proposal, data):
        services.return_proposal(actor=request.user, proposal=proposal, reason=data["reason"])
        return _("The proposal was returned to its author.")

    form = RequiredReasonForm(request.POST, prefix="return")
    return _proposal_action(request, pk, call, form=form, form_name="return_form", keep=True)


@login_required
@require_POST
def proposal_hide(request, pk):
    def call(proposal, data):
        services.hide_proposal(actor=request.user, proposal=proposal, reason=data["reason"])
        return _("The proposal is hidden from everyone but its author and staff.")

    form = RequiredReasonForm(request.POST, prefix="hide")
    return _proposal_action(request, pk, call, form=form, form_name="hide_form", keep=True)


@login_required
@require_POST
def proposal_restore(request, pk):
    def call(proposal, data):
        services.restore_proposal(actor=request.user, proposal=proposal, reason=data["reason"])
        return _("The proposal is shown again.")

    form = ReasonForm(request.POST, prefix="restore")
    return _proposal_action(request, pk, call, form=form, form_name="restore_form")


@login_required
@require_POST
def proposal_open_voting(request, pk):
    def call(proposal, data):
        proposal = services.open_voting(
            actor=request.user, proposal=proposal, closes_at=data["closes_at"]
        )
        closes = date_format(timezone.localtime(proposal.voting_closes_at), "DATETIME_FORMAT")
        return _("Voting is open until %(closes)s.") % {"closes": closes}

    form = OpenVotingForm(request.POST, prefix="voting")
    return _proposal_action(
        request, pk, call, form=form, form_name="voting_form", anchor="#vote", keep=True
    )


def _choice_label(choice: str) -> str:
    return str(dict(Vote.Choice.choices).get(choice, choice))


@login_required
@require_POST
def proposal_vote(request, pk):
    def call(proposal, data):
        services.cast_vote(actor=request.user, proposal=proposal, choice=data["choice"])
        return _("Your vote was recorded: %(choice)s. You can change it until the vote closes.") % {
            "choice": _choice_label(data["choice"])
        }

    form = VoteForm(request.POST)
    return _proposal_action(request, pk, call, form=form, form_name="vote_form", anchor="#vote")


@login_required
@require_POST
def proposal_assisted_vote(request, pk):
    proposal = _get_proposal(request, pk)

    def call(proposal, data):
        voter = data["voter"]
        services.cast_vote(
            actor=request.user, proposal=proposal, choice=data["choice"], voter=voter
        )
        return _("The vote of %(name)s was recorded (assisted): %(choice)s.") % {
            "name": voter.get_display_name(),
            "choice": _choice_label(data["choice"]),
        }

    form = AssistedVoteForm(
        request.POST, prefix="assisted", voters=_assisted_voters(proposal.council, request.user)
    )
    return _proposal_action(
        request, pk, call, form=form, form_name="assisted_form", anchor="#vote", keep=True
    )


@login_required
@require_POST
def proposal_decide(request, pk):
    def call(proposal, data):
        team = data.get("team")
        proposal = services.decide_proposal(
            actor=request.user,
            proposal=proposal,
            outcome=data["outcome"],
            required_skills=data.get("required_skills"),
            team=team,
        )
        if proposal.status != "accepted":
            return _("The proposal was not accepted.")
        if team is not None:
            return _("The proposal was accepted; its follow-up task was given to %(team)s.") % {
                "team": team.name
            }
        if not _task_has_takers(proposal.task):
            return _(
                "The proposal was accepted; its follow-up task was created, but no team can "
                "take it yet. Give it to a team or change its skills on the task page."
            )
        return _("The proposal was accepted; its follow-up task was created.")

    proposal = _get_proposal(request, pk)
    # Only a judge is asked to confirm: anyone else is refused by the service as before.
    judged = proposal if perms.can_decide(request.user, proposal) else None
    form = DecisionForm(
        request.POST,
        prefix="decision",
        proposal=judged,
        follow_up=follow_up_choices(proposal) if judged else None,
    )
    return _proposal_action(request, pk, call, form=form, form_name="decision_form", keep=True)


@login_required
@require_POST
def proposal_follow(request, pk):
    def call(proposal, data):
        services.follow_proposal(actor=request.user, proposal=proposal)
        return _("You follow this proposal: you will be told what happens to it.")

    return _proposal_action(request, pk, call)


@login_required
@require_POST
def proposal_unfollow(request, pk):
    def call(proposal, data):
        services.unfollow_proposal(actor=request.user, proposal=proposal)
        return _("You no longer follow this proposal.")

    return _proposal_action(request, pk, call)


@login_required
@require_POST
def proposal_report(request, pk):
    def call(proposal, data):
        _report, created = services.report_content(
            actor=request.user, target=proposal, reason=data["reason"]
        )
        if created:
            return _("Thank you. Community staff will look at this proposal.")
        return _("You have already reported this proposal.")

    form = ReasonForm(request.POST, prefix="report")
    return _proposal_action(request, pk, call, form=form, form_name="report_form")


@login_required
@require_POST
def proposal_comment(request, pk):
    """A comment, or a reply when `parent` is given (one level: replies join the thread)."""
    form = CommentForm(request.POST)
    parent_id = request.POST.get("parent") or None
    form_name = "comment_form"
    if parent_id:
        form = ReplyForm(request.POST, auto_id=f"id_reply{_id(parent_id)}_%s")
        form_name = "reply_forms"

    proposal = _get_proposal(request, pk)
    bound_value = {int(parent_id): form} if parent_id else form
    if not form.is_valid():
        return _rerender(request, proposal.pk, 400, **{form_name: bound_value})
    parent = None
    if form.cleaned_data.get("parent"):
        parent = selectors.reply_parent(
            viewer=request.user, proposal=proposal, pk=form.cleaned_data["parent"]
        )
        if parent is None:
            # The thread is not on this page: show the text in the main comment form.
            form.add_error("body", _("Reply to a comment of this proposal."))
            return _rerender(request, proposal.pk, 400, comment_form=form)
    try:
        comment = services.add_comment(
            actor=request.user, proposal=proposal, body=form.cleaned_data["body"], parent=parent
        )
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc, form)
        response = _rerender(request, proposal.pk, error_status(exc), **{form_name: bound_value})
        return with_retry_after(response, exc)
    messages.success(
        request, _("Your reply was posted.") if parent else _("Your comment was posted.")
    )
    return redirect(proposal.get_absolute_url() + f"#comment-{comment.pk}")


# --- comments ----------------------------------------------------------------------------------


def _get_comment(request, pk) -> Comment:
    comment = selectors.visible_comment(viewer=request.user, pk=_id(pk))
    if comment is None:
        raise Http404
    return comment


def _comment_action(request, pk, call, form):
    comment = _get_comment(request, pk)
    target = comment.proposal.get_absolute_url() + f"#comment-{comment.pk}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(target)
    try:
        message = call(comment, form.cleaned_data)
    except (ServiceError, ValidationError) as exc:
        apply_error(request, exc)
    else:
        messages.success(request, message)
    return redirect(target)


@login_required
@require_POST
def comment_hide(request, pk):
    def call(comment, data):
        services.hide_comment(actor=request.user, comment=comment, reason=data["reason"])
        return _("The comment is hidden.")

    return _comment_action(request, pk, call, RequiredReasonForm(request.POST))


@login_required
@require_POST
def comment_restore(request, pk):
    def call(comment, data):
        services.restore_comment(actor=request.user, comment=comment, reason=data["reason"])
        return _("The comment is shown again.")

    return _comment_action(request, pk, call, ReasonForm(request.POST))


@login_required
@require_POST
def comment_report(request, pk):
    def call(comment, data):
        _report, created = services.report_content(
            actor=request.user, target=comment, reason=data["reason"]
        )
        if created:
            return _("Thank you. Community staff will look at this comment.")
        return _("You have already reported this comment.")

    return _comment_action(request, pk, call, ReasonForm(request.POST))


# --- proposing and editing ---------------------------------------------------------------------


@login_required
def proposal_create(request, community_id):
    community = _get_community(community_id)
    council = selectors.council_of(community)
    if council is None:
        return _not_allowed(
            request,
            _("This community has no residents' council yet."),
            community=community,
            status=404,
        )
    if not perms.may_propose(request.user, community):
        return _not_allowed(
            request,
            _(
                "Only verified residents of %(community)s can make proposals. Ask to join the "
                "community; the staff will check your request."
            )
            % {"community": community.name},
            community=community,
        )
    # Staff may file it for a resident who came to the service station (assisted).
    residents = None
    if perms.may_file_for_residents(request.user, community):
        residents = perms.assisted_residents(community).exclude(pk=request.user.pk)
    resident_query = (request.POST or request.GET).get("resident_q", "")
    if request.method == "POST" and "find_resident" in request.POST:
        # "Find" in the resident section: show the narrowed list, keep what was typed.
        initial = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        form = ProposalForm(initial=initial, residents=residents, resident_query=resident_query)
        return render(
            request,
            "deliberation/proposal_form.html",
            {
                "form": form,
                "community": community,
                "council": council,
                "resident_q": resident_query,
            },
        )
    form = ProposalForm(
        request.POST or None,
        request.FILES or None,
        residents=residents,
        resident_query=resident_query,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            draft = "save_draft" in request.POST
            try:
                proposal = services.create_proposal(
                    actor=request.user,
                    community=community,
                    title=data["title"],
                    body=data["body"],
                    category=data["category"],
                    location=data["location"],
                    photos=data["photos"],
                    submit=not draft,
                    client_key=data.get("client_key"),
                    on_behalf_of=data.get("on_behalf_of"),
                )
            except (ServiceError, ValidationError) as exc:
                apply_error(request, exc, form)
                status = error_status(exc)
                response = render(
                    request,
                    "deliberation/proposal_form.html",
                    {"form": form, "community": community, "council": council},
                    status=status,
                )
                return with_retry_after(response, exc)
            if data.get("on_behalf_of"):
                messages.success(
                    request,
                    _("The proposal was filed for %(name)s.")
                    % {"name": data["on_behalf_of"].get_display_name()},
                )
            elif draft:
                messages.success(request, _("Your proposal is saved as a draft."))
            else:
                messages.success(
                    request,
                    _(
                        "Your proposal was sent. Community staff will check it and then "
                        "publish it for discussion."
                    ),
                )
            return redirect(proposal)
    return render(
        request,
        "deliberation/proposal_form.html",
        {"form": form, "community": community, "council": council},
        status=status,
    )


@login_required
def proposal_edit(request, pk):
    proposal = _get_proposal(request, pk)
    community = proposal.council.community
    if not perms.can_edit(request.user, proposal):
        return _not_allowed(
            request,
            _("Only the author can edit a proposal, and only before it is published."),
            community=community,
        )
    photos = list(ProposalPhoto.objects.filter(proposal=proposal))
    initial = {
        "title": proposal.title,
        "body": proposal.body,
        "category": proposal.category,
        "location": proposal.location,
    }
    form = ProposalEditForm(
        request.POST or None, request.FILES or None, initial=initial, photos=photos
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            remove = {int(x) for x in data.get("remove_photos") or []}
            try:
                with transaction.atomic():
                    services.edit_proposal(
                        actor=request.user,
                        proposal=proposal,
                        title=data["title"],
                        body=data["body"],
                        category=data["category"],
                        location=data["location"],
                    )
                    for photo in photos:
                        if photo.pk in remove:
                            photo.proposal = proposal
                            services.remove_photo(actor=request.user, photo=photo)
                    if data["photos"]:
                        services.add_photos(
                            actor=request.user, proposal=proposal, files=data["photos"]
                        )
            except (ServiceError, ValidationError) as exc:
                apply_error(request, exc, form)
                status = error_status(exc)
            else:
                messages.success(request, _("Your changes are saved."))
                return redirect(proposal)
    return render(
        request,
        "deliberation/proposal_form.html",
        {
            "form": form,
            "proposal": proposal,
            "community": community,
            "council": proposal.council,
            "photos": photos,
        },
        status=status,
    )


@login_required
def my_proposals(request):
    """What I proposed (every community), and what I follow."""
    user = request.user
    mine = selectors.own_proposals(author=user)
    page = Paginator(mine, PAGE_SIZE).get_page(request.GET.get("page"))
    proposals = _decorate(page.object_list, staff=False)
    followed = selectors.followed_proposals(viewer=user, limit=PAGE_SIZE)
    return render(
        request,
        "deliberation/my_proposals.html",
        {"page": page, "proposals": proposals, "followed": followed, "now": timezone.now()},
    )


# --- meetings ----------------------------------------------------------------------------------


def meeting_list(request, community_id):
    community = _get_community(community_id)
    council = selectors.council_of(community)
    if council is None:
        raise Http404
    meetings = (
        Meeting.objects.filter(council=council)
        .select_related("council__community")
        .annotate(items_count=Count("items"))
        .order_by("-starts_at", "-id")
    )
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "deliberation/meeting_list.html",
        {
            "community": community,
            "council": council,
            "page": page,
            "can_manage": perms.can_manage_meetings(request.user, council),
        },
    )


@login_required
def meeting_create(request, community_id):
    community = _get_community(community_id)
    council = selectors.council_of(community)
    if council is None:
        raise Http404
    if not perms.can_manage_meetings(request.user, council):
        return _not_allowed(
            request, _("Only community staff can schedule council meetings."), community=community
        )
    form = MeetingForm(request.POST or None, proposals=selectors.agenda_proposals(council=council))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                meeting = services.schedule_meeting(
                    actor=request.user,
                    council=council,
                    starts_at=data["starts_at"],
                    place=data["place"],
                    title=data["title"],
                    agenda=list(data["agenda"]),
                )
            except (ServiceError, ValidationError) as exc:
                apply_error(request, exc, form)
                status = error_status(exc)
            else:
                messages.success(request, _("The meeting is scheduled."))
                return redirect(meeting)
    return render(
        request,
        "deliberation/meeting_form.html",
        {"form": form, "community": community, "council": council},
        status=status,
    )


def _get_meeting(pk) -> Meeting:
    return get_object_or_404(
        Meeting.objects.select_related("council__community", "created_by"), pk=_id(pk)
    )


def _meeting_context(request, meeting: Meeting, **bound):
    user = request.user
    council = meeting.council
    manage = perms.can_manage_meetings(user, council)
    visible = selectors.agenda(meeting=meeting, viewer=user, staff=manage)
    decision_forms = bound.get("decision_forms") or {}
    if manage:
        for item in visible:
            item.decision_form = decision_forms.get(item.proposal_id) or MeetingDecisionForm(
                initial={"proposal": item.proposal_id, "decision": item.decision},
                auto_id=f"id_item{item.proposal_id}_%s",
            )
    attendees = list(meeting.attendees.order_by("display_name", "email"))
    others = [line.strip() for line in meeting.other_attendees.splitlines() if line.strip()]
    context = {
        "meeting": meeting,
        "council": council,
        "community": council.community,
        "items": visible,
        "attendees": attendees,
        "others": others,
        "can_manage": manage,
    }
    if manage and meeting.status != Meeting.Status.CANCELLED:
        context["attendance_form"] = bound.get("attendance_form") or AttendanceForm(
            prefix="attendance",
            members=selectors.verified_members(council=council),
            initial={
                "attendees": [u.pk for u in attendees],
                "other_attendees": meeting.other_attendees,
                "attendance_count": meeting.attendance_count or None,
            },
        )
        context["minutes_form"] = bound.get("minutes_form") or MinutesForm(
            prefix="minutes", initial={"minutes": meeting.minutes, "held": True}
        )
        if meeting.status == Meeting.Status.SCHEDULED:
            context["cancel_form"] = bound.get("cancel_form") or ReasonForm(prefix="cancel")
    return context


def meeting_detail(request, pk):
    meeting = _get_meeting(pk)
    return render(request, "deliberation/meeting_detail.html", _meeting_context(request, meeting))


def _meeting_action(request, pk, make_form, call, form_name):
    meeting = _get_meeting(pk)
    if not perms.can_manage_meetings(request.user, meeting.council):
        return _not_allowed(
            request,
            _("Only community staff can manage council meetings."),
            community=meeting.council.community,
        )
    form = make_form(meeting)
    status = 400
    if form.is_valid():
        try:
            message = call(meeting, form.cleaned_data)
        except (ServiceError, ValidationError) as exc:
            apply_error(request, exc, form)
            if isinstance(exc, ServiceError) or not form.errors:
                return redirect(meeting)
            status = error_status(exc)
        else:
            messages.success(request, message)
            return redirect(meeting)
    if form_name == "decision_forms":
        bound = {form_name: {form.cleaned_data.get("proposal") or 0: form}}
    else:
        bound = {form_name: form}
    context = _meeting_context(request, _get_meeting(pk), **bound)
    return render(request, "deliberation/meeting_detail.html", context, status=status)


@login_required
@require_POST
def meeting_attendance(request, pk):
    def call(meeting, data):
        services.record_attendance(
            actor=request.user,
            meeting=meeting,
            attendees=list(data["attendees"]),
            other_attendees=data["other_attendees"],
            attendance_count=data["attendance_count"],
        )
        return _("Attendance is recorded.")

    return _meeting_action(
        request,
        pk,
        lambda m: AttendanceForm(
            request.POST, prefix="attendance", members=selectors.verified_members(council=m.council)
        ),
        call,
        "attendance_form",
    )


@login_required
@require_POST
def meeting_minutes(request, pk):
    def call(meeting, data):
        services.record_minutes(
            actor=request.user, meeting=meeting, minutes=data["minutes"], held=data["held"]
        )
        return _("The minutes are saved.")

    return _meeting_action(
        request, pk, lambda m: MinutesForm(request.POST, prefix="minutes"), call, "minutes_form"
    )


@login_required
@require_POST
def meeting_decision(request, pk):
    def call(meeting, data):
        proposal = Proposal.objects.filter(
            pk=ids.clamp(data["proposal"]), council=meeting.council
        ).first()
        if proposal is None:
            raise ValidationError({"decision": [_("Choose a proposal of this council.")]})
        services.record_decision(
            actor=request.user, meeting=meeting, proposal=proposal, decision=data["decision"]
        )
        return _("The decision on “%(title)s” is recorded.") % {"title": proposal.title}

    def make(meeting):
        proposal = request.POST.get("proposal", "")
        suffix = proposal if proposal.isdigit() else "x"
        return MeetingDecisionForm(request.POST, auto_id=f"id_item{suffix}_%s")

    return _meeting_action(request, pk, make, call, "decision_forms")


@login_required
@require_POST
def meeting_cancel(request, pk):
    def call(meeting, data):
        services.cancel_meeting(actor=request.user, meeting=meeting, reason=data["reason"])
        return _("The meeting is cancelled.")

    return _meeting_action(
        request, pk, lambda m: ReasonForm(request.POST, prefix="cancel"), call, "cancel_form"
    )

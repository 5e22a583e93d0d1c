"""The council's decision on a proposal and what follows it: the outcome in every language,
the follow-up task of an accepted proposal and the news of that task."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict
from live.services import publish
from live.texts import localized, pick
from teams.models import Task

from .. import permissions as perms
from ..models import CATEGORY_SKILLS, Proposal
from ..selectors import count_votes
from ..tally import Result, Tally, decide
from .common import S, audit, clean_text, judge_guard, lock_proposal, proposal_topic
from .follows import notify_followers

logger = logging.getLogger(__name__)


def task_summary(task) -> dict | None:
    if task is None:
        return None
    team = None
    if task.team_id:
        team = {"id": task.team_id, "name": task.team.name}
    return {"id": task.pk, "status": task.status, "team": team}


def outcome_summaries(result: Result, rules) -> dict[str, str]:
    """The vote summary of a decision in every offered language, {code: text}."""
    t = result.tally
    parts = [
        localized(
            _(
                "%(support)d support, %(oppose)d oppose, %(abstain)d abstain "
                "(%(total)d votes of %(eligible)d eligible voters)."
            ),
            {**t.as_dict(), "eligible": result.eligible},
        )
    ]
    if not result.quorum_met:
        parts.append(
            localized(
                _("The quorum of %(needed)d votes was not reached."),
                {"needed": result.votes_needed},
            )
        )
    elif not result.threshold_met:
        parts.append(
            localized(
                _("Support did not exceed %(percent)d%% of support and oppose."),
                {"percent": rules.pass_percent},
            )
        )
    else:
        parts.append(
            localized(
                _("Quorum reached; support exceeded %(percent)d%% of support and oppose."),
                {"percent": rules.pass_percent},
            )
        )
    return {code: " ".join(part[code] for part in parts) for code in parts[0]}


def _with_note(note: str, summary: str) -> str:
    return f"{note}\n\n{summary}" if note else summary


def outcome_text(proposal: Proposal) -> str:
    """`proposal.outcome` for the reader, in the active language.

    The decision stores the outcome (staff's note, then the vote summary) in the site's
    language. The summary is written again in the reader's language from the final counts
    when they and the council's rules still give the stored summary; if the rules changed
    since, the outcome is shown as it was stored.
    """
    outcome = proposal.outcome or ""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if (
        not outcome
        or language == settings.LANGUAGE_CODE
        or proposal.final_support is None
        or proposal.final_oppose is None
        or proposal.final_abstain is None
        or proposal.final_eligible is None
    ):
        return outcome
    tally = Tally(
        support=proposal.final_support,
        oppose=proposal.final_oppose,
        abstain=proposal.final_abstain,
    )
    rules = proposal.council.rules
    summaries = outcome_summaries(decide(rules, tally, proposal.final_eligible), rules)
    stored = summaries[settings.LANGUAGE_CODE]
    if not outcome.endswith(stored):
        return outcome
    return outcome[: len(outcome) - len(stored)] + pick(
        {"text": stored, "texts": summaries}, language=language
    )


def follow_up_skills(proposal: Proposal) -> list[str]:
    """The skills the follow-up task of the proposal needs unless staff choose: its category's
    (teams.models.Skill rows missing from the database left out)."""
    from teams.models import Skill

    wanted = CATEGORY_SKILLS.get(proposal.category, [])
    skills = list(Skill.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    if len(skills) < len(wanted):
        logger.warning("skills %s missing for proposal %s", set(wanted) - set(skills), proposal.pk)
    return skills


def _clean_follow_up(proposal: Proposal, required_skills, team) -> list[str] | None:
    """The skill slugs staff chose (None: the category's), checked with the team to dispatch
    to: unknown skills and a team that could not take the task are field errors."""
    from teams.models import Skill
    from teams.permissions import take_refusal

    if required_skills is None and team is None:
        return None
    if required_skills is None:
        slugs = follow_up_skills(proposal)
    else:
        slugs = sorted({str(slug) for slug in required_skills})
    skills = list(Skill.objects.filter(slug__in=slugs))
    unknown = sorted(set(slugs) - {skill.slug for skill in skills})
    if unknown:
        raise ValidationError(
            {"required_skills": _("Unknown skill: %(slugs)s.") % {"slugs": ", ".join(unknown[:5])}}
        )
    if team is not None:
        refusal = take_refusal(team, community=proposal.council.community, skills=skills)
        if refusal is not None:
            raise ValidationError({"team": refusal.staff_text})
    return slugs


def decide_proposal(
    *, actor, proposal: Proposal, outcome="", required_skills=None, team=None
) -> Proposal:
    """Staff close the vote and record the decision by the council's rules.

    The tally is counted from the vote rows under the proposal's row lock; accepting creates
    the follow-up task in the same transaction, needing `required_skills` (slugs; None: the
    category's) and given to `team` when staff name one. Both are checked whatever the
    outcome, and unused when the proposal is not accepted. A second decision gets 409.
    """
    judge_guard(actor, proposal, _("Only community staff can record the decision."))
    note = clean_text(outcome, field="outcome", max_length=1500, required=False)
    skills = _clean_follow_up(proposal, required_skills, team)
    with transaction.atomic():
        lock_proposal(proposal)
        if proposal.status != S.VOTING:
            raise Conflict(_("Only a proposal being voted on can be decided."), code="not_voting")
        council = proposal.council
        now = timezone.now()
        if proposal.voting_closes_at is None or proposal.voting_closes_at > now:
            closes = now
            if proposal.voting_opens_at and closes <= proposal.voting_opens_at:
                closes = proposal.voting_opens_at + timedelta(microseconds=1)
            proposal.voting_closes_at = closes
        tally = count_votes(proposal)
        eligible = perms.eligible_voter_count(council)
        rules = council.rules
        result = decide(rules, tally, eligible)
        summaries = outcome_summaries(result, rules)
        proposal.status = S.ACCEPTED if result.accepted else S.REJECTED
        proposal.outcome = _with_note(note, summaries[settings.LANGUAGE_CODE])
        proposal.decided_at = now
        proposal.decided_by = actor
        proposal.final_support = tally.support
        proposal.final_oppose = tally.oppose
        proposal.final_abstain = tally.abstain
        proposal.final_eligible = eligible
        if result.accepted:
            proposal.task = create_follow_up_task(
                actor=actor, proposal=proposal, required_skills=skills, team=team
            )
        proposal.save()
        audit(
            proposal,
            "linli.proposal.decide",
            actor,
            status=proposal.status,
            tally=tally.as_dict(),
            eligible=eligible,
            quorum_met=result.quorum_met,
            threshold_met=result.threshold_met,
            task=proposal.task_id,
        )
        publish(
            topic=proposal_topic(proposal),
            type="proposal.decided",
            data={
                "status": proposal.status,
                "outcome": proposal.outcome,
                # The outcome per language (live.texts): pages show the reader's.
                "outcomes": {code: _with_note(note, text) for code, text in summaries.items()},
                "tally": tally.as_dict(),
                "task": task_summary(proposal.task),
            },
            actor=actor,
        )
        if not proposal.hidden:
            publish(
                topic=f"community:{council.community_id}",
                type="proposal.decided",
                data={
                    "proposal": {"id": proposal.pk, "title": proposal.title},
                    "status": proposal.status,
                    "url": proposal.get_absolute_url(),
                },
                actor=actor,
            )
        notify_followers(proposal=proposal, kind=proposal.status, actor=actor)
    return proposal


def create_follow_up_task(*, actor, proposal: Proposal, required_skills=None, team=None):
    """The task of an accepted proposal (teams.services), needing `required_skills` (slugs;
    None: the category's) and, with `team`, given to that team by teams' dispatch (its audit
    entry and news to the team and its leaders).

    Category skills missing from the database are left out (the task is then open to more
    teams) rather than blocking the council's decision.
    """
    from teams import services as team_services

    if required_skills is None:
        required_skills = follow_up_skills(proposal)
    # The place is the task's own field and the proposal is linked from the task (its
    # `proposal`), so the description carries neither: the task page showed both twice.
    task = team_services.create_task(
        actor=actor,
        community=proposal.council.community,
        title=proposal.title,
        description=proposal.body,
        location=proposal.location,
        required_skills=required_skills,
        origin=Task.Origin.PROPOSAL,
    )
    if team is not None:
        task = team_services.dispatch_task(actor=actor, task=task, team=team)
    return task


TASK_NOTICES = {"claimed": "task_claimed", "done": "task_done", "verified": "task_verified"}


def on_task_changed(*, task, actor=None) -> None:
    """A follow-up task changed: tell the proposal's page, and its followers when it was
    claimed, done or verified. Called from the teams signal receiver (deliberation.apps)."""
    if task.origin != Task.Origin.PROPOSAL:
        # Only create_follow_up_task links a task to a proposal, and it marks the task's
        # origin: every other task's status change (inside its transaction) skips the look-up.
        return
    proposal = Proposal.objects.select_related("council__community").filter(task_id=task.pk).first()
    if proposal is None:
        return
    publish(
        topic=proposal_topic(proposal),
        type="proposal.task",
        data={"task": task_summary(task)},
        actor=actor,
    )
    kind = TASK_NOTICES.get(task.status)
    if kind:
        team = task.team.name if task.team_id else ""
        notify_followers(proposal=proposal, kind=kind, actor=actor, team=team)

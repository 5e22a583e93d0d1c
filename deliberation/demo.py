"""Demo data: the residents' council of 玉岭社区, its proposals in every state and a meeting.

Idempotent: the council is found by its community, proposals by their title in that council,
the meeting by its title. Everything is built through `deliberation.services` (and
`teams.services` for the claim), so the audit log and live events look like real use.
Runs after `communities` and `teams` (INSTALLED_APPS order): it needs the demo accounts and
玉岭社区环境志愿服务队.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from communities.models import Community

from . import services
from .models import Council, Meeting, Proposal

YULING = ("松滋市", "新江口街道", "玉岭社区")
ENV_TEAM = "玉岭社区环境志愿服务队"

COUNCIL_RULES = {
    "name": "玉岭社区居民议事会",
    "voters": Council.Voters.RESIDENTS,
    "quorum_kind": Council.QuorumKind.VOTES,
    "quorum_votes": 5,
    "quorum_percent": 0,
    "pass_percent": 50,
    "voting_days": 7,
    "hide_tally": False,
}

GARBAGE = "东门垃圾分类点的垃圾经常没人清运"
GREEN_BELT = "5栋旁绿化带里堆满了废旧杂物"
E_BIKES = "电动车在楼道里充电，存在火灾隐患"
NORTH_GATE = "北门改为只进不出"
FLEA_MARKET = "周末在小区广场办二手集市"
MEETING = "玉岭社区居民议事会第一次会议"


def _community(path):
    node = None
    for name in path:
        node = Community.objects.filter(name=name, parent=node).first()
        if node is None:
            return None
    return node


def _backdate(proposal: Proposal, days: int, *, voted_days: int | None = None) -> None:
    """Spread the timestamps of a demo proposal over the past weeks (display only)."""
    shift = timedelta(days=days)
    changes = {
        "created_at": F("created_at") - shift,
        "submitted_at": F("submitted_at") - shift,
        "published_at": F("published_at") - shift + timedelta(days=1),
    }
    if voted_days is not None:
        opens = timezone.now() - timedelta(days=voted_days + 7)
        changes.update(voting_opens_at=opens, voting_closes_at=opens + timedelta(days=7))
        changes["decided_at"] = opens + timedelta(days=7, hours=2)
    Proposal.objects.filter(pk=proposal.pk).update(**changes)


def load(*, stdout):
    User = get_user_model()
    yuling = _community(YULING)
    if yuling is None:
        stdout.write("  council: skipped (玉岭社区 is missing)")
        return
    council, _created = Council.objects.update_or_create(community=yuling, defaults=COUNCIL_RULES)
    stdout.write(f"  council: {council}")

    emails = [
        "staff@example.com",
        *[f"resident{n}@example.com" for n in range(1, 7)],
        "leader1@example.com",
        "leader2@example.com",
        "volunteer1@example.com",
    ]
    users = {u.email.split("@")[0]: u for u in User.objects.filter(email__in=emails)}
    if len(users) < len(emails):
        stdout.write("  proposals: skipped (the demo accounts of 玉岭社区 are missing)")
        return
    staff = users["staff"]

    existing = set(Proposal.objects.filter(council=council).values_list("title", flat=True))
    made = 0
    with services.without_emails():
        for title, build in (
            (GARBAGE, _garbage),
            (GREEN_BELT, _green_belt),
            (E_BIKES, _e_bikes),
            (NORTH_GATE, _north_gate),
            (FLEA_MARKET, _flea_market),
        ):
            if title not in existing:
                build(title, yuling, users, staff)
                made += 1
        stdout.write(f"  proposals: {made} new")
        if not Meeting.objects.filter(council=council, title=MEETING).exists():
            _meeting(council, users, staff)
            stdout.write("  meetings: 1 new")


def _new(title, yuling, author, *, body, category, location):
    return services.create_proposal(
        actor=author,
        community=yuling,
        title=title,
        body=body,
        category=category,
        location=location,
    )


def _votes(proposal, users, pairs):
    for name, choice in pairs:
        services.cast_vote(actor=users[name], proposal=proposal, choice=choice)


def _garbage(title, yuling, users, staff):
    """Accepted; its task is held by 玉岭社区环境志愿服务队 (leader1), work under way."""
    from teams import services as team_services
    from teams.models import Team

    proposal = _new(
        title,
        yuling,
        users["resident1"],
        body="东门那两组分类垃圾桶，最近常常两三天才收一次，桶满了大家只好把袋子堆在地上。"
        "天一热味道很重，还招来野猫翻垃圾。希望议事会商量一下，"
        "看能不能和环卫所约定固定的清运时间，平时也有人帮忙看一看。",
        category="sanitation",
        location="玉岭社区东门垃圾分类点",
    )
    services.publish_proposal(actor=staff, proposal=proposal)
    first = services.add_comment(
        actor=users["resident3"],
        proposal=proposal,
        body="我每天早上买菜路过，确实堆得不像样，附和一下。",
    )
    services.add_comment(
        actor=users["resident1"],
        proposal=proposal,
        body="谢谢！要是有志愿者早晚各看一次，会好很多。",
        parent=first,
    )
    services.open_voting(actor=staff, proposal=proposal)
    _votes(
        proposal,
        users,
        [
            ("resident1", "support"),
            ("resident2", "support"),
            ("resident3", "support"),
            ("resident4", "support"),
            ("resident5", "oppose"),
            ("leader1", "support"),
            ("volunteer1", "abstain"),
        ],
    )
    # 赵德明 has no smartphone; the social worker records his vote from the meeting.
    services.cast_vote(actor=staff, proposal=proposal, choice="support", voter=users["resident6"])
    services.decide_proposal(
        actor=staff,
        proposal=proposal,
        outcome="议事会同意：社区与环卫所约定每天早晚两次清运，"
        "环境志愿服务队负责巡查分类点并劝导居民分类投放。",
    )
    proposal.refresh_from_db()
    team = Team.objects.filter(name=ENV_TEAM).first()
    if proposal.task is not None and team is not None:
        task = team_services.claim_task(actor=users["leader1"], task=proposal.task, team=team)
        team_services.post_update(
            actor=users["leader1"],
            task=task,
            text="已和环卫所对接好清运时间，队员们排了早晚两班，从本周一开始巡查。",
            status="in_progress",
        )
    _backdate(proposal, 20, voted_days=8)


def _green_belt(title, yuling, users, staff):
    """Voting open, with some votes."""
    proposal = _new(
        title,
        yuling,
        users["resident2"],
        body="5栋和6栋之间那条绿化带，有人堆了旧沙发、破花盆和装修剩下的材料，"
        "草都被压死了，下雨后还积水生蚊子。建议组织一次清理，"
        "清完以后请愿意养花的邻居一起把这块地种起来，大家轮流照看。",
        category="greenery",
        location="5栋与6栋之间的绿化带",
    )
    services.publish_proposal(actor=staff, proposal=proposal)
    services.add_comment(
        actor=users["resident4"],
        proposal=proposal,
        body="里面那张旧沙发放了快半年了，早该清走。",
    )
    services.open_voting(actor=staff, proposal=proposal)
    _votes(
        proposal,
        users,
        [("resident2", "support"), ("resident4", "support"), ("resident5", "oppose")],
    )
    _backdate(proposal, 6)


def _e_bikes(title, yuling, users, staff):
    """In discussion, with comments and a reply."""
    proposal = _new(
        title,
        yuling,
        users["resident3"],
        body="好几栋楼的楼道里都有人拉电线给电动车充电，晚上整夜插着。"
        "万一起火，楼道是大家唯一的出路。能不能在小区里装几处集中充电桩，"
        "同时请消防方面的志愿者来讲一讲充电安全？",
        category="safety",
        location="玉岭社区各楼栋楼道",
    )
    services.publish_proposal(actor=staff, proposal=proposal)
    first = services.add_comment(
        actor=users["resident5"],
        proposal=proposal,
        body="支持装充电桩，不过费用谁出？希望先算一算。",
    )
    services.add_comment(
        actor=staff,
        proposal=proposal,
        body="社区正在向街道了解充电桩补贴政策，下次议事会上给大家一个准信。",
        parent=first,
    )
    services.add_comment(
        actor=users["leader2"],
        proposal=proposal,
        body="我们互助队可以挨家挨户提醒，先把楼道里的电线收起来。",
    )
    _backdate(proposal, 3)


def _north_gate(title, yuling, users, staff):
    """Rejected by the vote."""
    proposal = _new(
        title,
        yuling,
        users["resident4"],
        body="早晚高峰北门进出的车堵在一起，建议北门只许进不许出，出去都走东门。",
        category="traffic",
        location="玉岭社区北门",
    )
    services.publish_proposal(actor=staff, proposal=proposal)
    services.add_comment(
        actor=users["resident6"],
        proposal=proposal,
        body="住在北边的人出门要绕一大圈，不太方便。",
    )
    services.open_voting(actor=staff, proposal=proposal)
    _votes(
        proposal,
        users,
        [
            ("resident4", "support"),
            ("resident1", "oppose"),
            ("resident2", "oppose"),
            ("resident3", "oppose"),
            ("leader2", "support"),
            ("volunteer1", "oppose"),
        ],
    )
    services.decide_proposal(
        actor=staff,
        proposal=proposal,
        outcome="多数居民认为绕行不便，未通过。社区会请交通志愿者在高峰时段到北门疏导。",
    )
    _backdate(proposal, 16, voted_days=5)


def _flea_market(title, yuling, users, staff):
    """Withdrawn by its author."""
    proposal = _new(
        title,
        yuling,
        users["resident5"],
        body="每月第一个周六上午在广场办二手集市，家里用不着的东西可以换一换、卖一卖。",
        category="other",
        location="玉岭社区中心广场",
    )
    services.publish_proposal(actor=staff, proposal=proposal)
    services.withdraw_proposal(
        actor=users["resident5"],
        proposal=proposal,
        reason="社区“邻里节”已经安排了换物活动，我先撤回，到时候一起办。",
    )
    _backdate(proposal, 10)


def _meeting(council, users, staff):
    """A meeting held last week, with attendance, minutes and decisions."""
    garbage = Proposal.objects.filter(council=council, title=GARBAGE).first()
    north_gate = Proposal.objects.filter(council=council, title=NORTH_GATE).first()
    e_bikes = Proposal.objects.filter(council=council, title=E_BIKES).first()
    agenda = [p for p in (garbage, north_gate, e_bikes) if p is not None]
    meeting = services.schedule_meeting(
        actor=staff,
        council=council,
        title=MEETING,
        starts_at=timezone.now() - timedelta(days=9),
        place="玉岭社区党群服务中心二楼会议室",
        agenda=agenda,
    )
    services.record_attendance(
        actor=staff,
        meeting=meeting,
        attendees=[
            users[name]
            for name in ("resident1", "resident2", "resident3", "resident6", "leader1", "staff")
        ],
        other_attendees="驻社区社工机构 黄老师\n环卫所 刘站长",
    )
    services.record_minutes(
        actor=staff,
        meeting=meeting,
        minutes="会议由社区社工王敏主持，到会居民代表和居民共8人。\n"
        "一、东门垃圾分类点清运问题：环卫所刘站长说明了目前的清运班次，"
        "与会者同意改为每天早晚两次，由环境志愿服务队协助巡查和劝导。\n"
        "二、北门通行方案：意见分歧较大，决定交由全体居民投票。\n"
        "三、电动车楼道充电：先由社区了解充电桩补贴，下次会议再议。",
    )
    decisions = {
        GARBAGE: "同意每天早晚两次清运，环境志愿服务队负责巡查，一个月后回顾效果。",
        NORTH_GATE: "交由居民投票决定。",
        E_BIKES: "社区先了解补贴政策，下次会议再议。",
    }
    for proposal in agenda:
        services.record_decision(
            actor=staff, meeting=meeting, proposal=proposal, decision=decisions[proposal.title]
        )

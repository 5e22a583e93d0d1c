"""Demo data: skills, the seed's volunteer teams, and 玉岭社区's tasks in every state.

Runs after communities/demo.py (which made the tree and the demo accounts); looks them up by
name and e-mail. Idempotent: skills by slug, teams by name, each task scenario by its title
(a scenario that exists already is left alone). Tasks go through the services, so the audit
log and the live event log tell their story as well.
"""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import ReferenceIndex

from communities.models import Community

from . import services
from .models import Need, Skill, Task, Team, TeamMembership

SKILLS = [
    ("sanitation", "环境卫生"),
    ("greening", "绿化养护"),
    ("elderly-care", "助老服务"),
    ("child-care", "儿童看护"),
    ("counselling", "心理疏导"),
    ("repairs", "维修服务"),
    ("fire-safety", "消防安全"),
    ("traffic", "交通劝导"),
    ("legal-aid", "法律援助"),
    ("water-rescue", "水上搜救"),
    ("emergency-response", "应急救援"),
]

CITY = ("沙市区", "荆州区", "纪南文旅区", "江陵县", "松滋市", "洪湖市", "公安县", "监利市")
YULING = ("松滋市", "新江口街道", "玉岭社区")

# name, description, skills, communities served (paths of names), leader e-mail, member e-mails
TEAMS = [
    (
        "美丽天使花卉志愿服务队",
        "十方庵社区的居民自发组成的队伍。大家把绿化带里乱堆的旧物清理干净，种上花草，"
        "轮流浇水除草，让这片小花园成了全楼栋共享的地方。",
        ["greening"],
        [("沙市区", "解放路街道", "十方庵社区")],
        None,
        [],
    ),
    (
        "爱心妈妈志愿服务队",
        "郢东社区里不少孩子的父母都要上班或跑外卖、快递，放学后没人照看。"
        "队里的妈妈们轮流接孩子、看作业，让家长安心上班。",
        ["child-care"],
        [("纪南文旅区", "凤凰街道", "郢东社区")],
        None,
        [],
    ),
    (
        "爱心编织小分队",
        "通会桥社区的姐妹们一起织围巾、帽子和小挂件，拿去义卖，"
        "换来的钱都用来帮衬社区里日子过得紧的邻居。",
        [],
        [("荆州区", "西城街道", "通会桥社区")],
        None,
        [],
    ),
    (
        "蓝丝带志愿者",
        "在公安县和社工一起走进学校和社区，给孩子们讲怎样防范危险、遇到意外怎么自救，"
        "还手把手教大家使用灭火器等应急器材。",
        ["emergency-response", "child-care"],
        [("公安县",)],
        None,
        [],
    ),
    (
        "四叶草志愿服务队",
        "长期关注留守儿童和困境儿童，社工带着志愿者定期探访、陪伴学习，"
        "遇到孩子情绪上的难处也会请专业人员一起疏导。",
        ["child-care", "counselling"],
        [(name,) for name in CITY],
        None,
        [],
    ),
    (
        "消防志愿队",
        "全市范围的消防志愿者，进小区排查消防通道、讲解用火用电安全。",
        ["fire-safety"],
        [(name,) for name in CITY],
        None,
        [],
    ),
    (
        "交通志愿队",
        "在路口和校门口劝导文明出行，大型活动时协助疏导人流车流。",
        ["traffic"],
        [(name,) for name in CITY],
        None,
        [],
    ),
    (
        "法律援助志愿队",
        "律师和法律工作者组成的队伍，为有困难的居民免费解答法律问题、协助维权。",
        ["legal-aid"],
        [(name,) for name in CITY],
        None,
        [],
    ),
    (
        "水上搜救志愿队",
        "熟悉水性的志愿者，汛期巡查江边和湖边，必要时参与水上救援。",
        ["water-rescue", "emergency-response"],
        [(name,) for name in CITY],
        None,
        [],
    ),
    (
        "玉岭社区环境志愿服务队",
        "议事会上大家最关心的就是垃圾问题。这支队伍由此而来：清理楼道杂物、"
        "整治垃圾点，也照看小区里的花草树木。",
        ["sanitation", "greening"],
        [YULING],
        "leader1@example.com",
        ["volunteer1@example.com"],
    ),
    (
        "玉岭社区邻里互助队",
        "邻里之间搭把手：陪独居老人看病、帮行动不便的邻居买菜，也参与小区的环境整治。",
        ["sanitation", "elderly-care"],
        [YULING],
        "leader2@example.com",
        [],
    ),
]


def _community(path):
    community = None
    for name in path:
        community = Community.objects.filter(parent=community, name=name).first()
        if community is None:
            return None
    return community


def _load_skills():
    for slug, name in SKILLS:
        Skill.objects.update_or_create(slug=slug, defaults={"name": name})


def _load_teams(users, stdout):
    teams = {}
    for name, description, skill_slugs, paths, leader, members in TEAMS:
        team, _ = Team.objects.update_or_create(
            name=name, defaults={"description": description, "active": True}
        )
        team.skills.set(Skill.objects.filter(slug__in=skill_slugs))
        served = [c for c in (_community(p) for p in paths) if c is not None]
        team.communities.set(served)
        people = [(leader, TeamMembership.Role.LEADER)] + [
            (email, TeamMembership.Role.MEMBER) for email in members
        ]
        for email, role in people:
            user = users.get(email)
            if user is None:
                continue
            TeamMembership.objects.update_or_create(
                team=team,
                user=user,
                defaults={"role": role, "status": TeamMembership.Status.ACTIVE},
            )
        # Memberships are the team's child rows: Wagtail indexes them with the team, which was
        # saved before they existed, so a second load would otherwise index them then.
        ReferenceIndex.create_or_update_for_object(team)
        teams[name] = team
    stdout.write(f"  teams: {len(teams)}")
    return teams


def _days_ago(n):
    return timezone.localdate() - datetime.timedelta(days=n)


def _scenarios(yuling, users, teams):
    """(title, function that builds the scenario) in the order they are loaded."""
    staff = users["staff@example.com"]
    leader1 = users["leader1@example.com"]
    leader2 = users["leader2@example.com"]
    volunteer1 = users["volunteer1@example.com"]
    env = teams["玉岭社区环境志愿服务队"]
    mutual = teams["玉岭社区邻里互助队"]

    def new(title, **kwargs):
        return services.create_task(actor=staff, community=yuling, title=title, **kwargs)

    def open_task(title):
        new(
            title,
            description="3栋一单元和二单元的楼道里堆了不少纸箱和旧家具，既挡路又有火灾隐患。"
            "请志愿者帮忙清出来，能回收的送到回收点。",
            location="玉岭社区3栋一、二单元楼道",
            required_skills=["sanitation"],
            due_at=timezone.now() + datetime.timedelta(days=5),
        )

    def claimed_task(title):
        task = new(
            title,
            description="东门进门两侧的绿化带长得太高，挡住了路口视线。需要修剪整齐，"
            "剪下的枝叶集中清运。",
            location="玉岭社区东门",
            required_skills=["greening"],
            due_at=timezone.now() + datetime.timedelta(days=7),
        )
        services.claim_task(actor=leader1, task=task, team=env)

    def in_progress_task(title):
        task = new(
            title,
            description="议事会上居民反映，垃圾分类亭旁边长期堆着旧沙发和床垫。"
            "大家表决同意由志愿队联系清运，并在亭子边立一块提示牌。",
            location="玉岭社区中心花园旁的垃圾分类亭",
            required_skills=["sanitation"],
            priority=Task.Priority.URGENT,
            origin=Task.Origin.PROPOSAL,
        )
        task = services.claim_task(actor=leader1, task=task, team=env)
        services.post_update(
            actor=volunteer1,
            task=task,
            text="已经联系好环卫的清运车，明天上午九点来拉大件。提示牌正在做。",
            status="in_progress",
        )
        services.log_hours(
            actor=volunteer1,
            task=task,
            hours="2",
            date=_days_ago(0),
            note="清点大件垃圾、联系清运车",
        )

    def done_task(title):
        task = new(
            title,
            description="6栋的独居老人需要去社区卫生服务站做年度体检，腿脚不方便，"
            "请志愿者陪同往返，帮忙排队取单。",
            location="玉岭社区6栋 — 社区卫生服务站",
            required_skills=["elderly-care"],
        )
        task = services.claim_task(actor=leader2, task=task, team=mutual)
        services.post_update(actor=leader2, task=task, text="约好了周四上午八点半出发。")
        services.post_update(
            actor=leader2,
            task=task,
            text="体检做完了，老人一切顺利，报告单已交给家属。",
            status="done",
        )

    def verified_task(title):
        task = new(
            title,
            description="按议事会的决定，把2栋门口的垃圾桶挪到新划的投放点，"
            "旧点位冲洗干净，并张贴分类投放时间。",
            location="玉岭社区2栋门口",
            required_skills=["sanitation"],
            origin=Task.Origin.PROPOSAL,
        )
        task = services.claim_task(actor=leader1, task=task, team=env)
        services.post_update(
            actor=volunteer1, task=task, text="开始搬运垃圾桶。", status="in_progress"
        )
        services.post_update(
            actor=leader1,
            task=task,
            text="新投放点已经启用，旧点位冲洗干净，告示也贴好了。",
            status="done",
        )
        services.verify_task(actor=staff, task=task, note="现场看过，居民反映很好。")
        own = services.log_hours(
            actor=volunteer1, task=task, hours="3.5", date=_days_ago(0), note="搬运和冲洗"
        )
        services.approve_hours(actor=leader1, record=own)
        lead = services.log_hours(
            actor=leader1, task=task, hours="2", date=_days_ago(0), note="组织和张贴告示"
        )
        services.approve_hours(actor=staff, record=lead)
        wrong = services.log_hours(
            actor=volunteer1, task=task, hours="12", date=_days_ago(0), note="补记"
        )
        services.decline_hours(
            actor=leader1, record=wrong, reason="当天签到记录只有半天，请按实际时长重新填报。"
        )

    def cancelled_task(title):
        task = new(
            title,
            description="原定周末在小区广场给老人义务理发。",
            location="玉岭社区中心广场",
            required_skills=["elderly-care"],
        )
        services.cancel_task(
            actor=staff, task=task, reason="广场当天要办社区运动会，活动改期另行通知。"
        )

    def sensitive_task(title):
        task = new(
            title,
            description="受“万家无暴”项目转介的一户家庭，需要在社工陪同下进行第二次回访，"
            "了解近况、转达心理咨询和法律援助的预约方式。请勿对外透露住址和家庭情况。",
            location="玉岭社区（地址由社工当面告知）",
            sensitive=True,
            team=mutual,
            priority=Task.Priority.URGENT,
        )
        task = services.claim_task(actor=leader2, task=task, team=mutual)
        services.post_update(
            actor=leader2,
            task=task,
            text="已与社工约好时间，本周五下午一同上门。",
            status="in_progress",
        )

    return [
        ("清理3栋楼道堆放的纸箱杂物", open_task),
        ("修剪东门绿化带", claimed_task),
        ("清运垃圾分类亭旁的大件垃圾", in_progress_task),
        ("陪独居老人去社区卫生服务站体检", done_task),
        ("调整2栋门口的垃圾桶投放点", verified_task),
        ("小区广场周末义务理发", cancelled_task),
        ("家庭情况回访（保密）", sensitive_task),
    ]


def load(*, stdout):
    User = get_user_model()
    _load_skills()
    stdout.write(f"  skills: {len(SKILLS)}")
    emails = {email for *_, leader, members in TEAMS for email in [leader, *members] if email}
    emails |= {"staff@example.com", "resident2@example.com", "resident3@example.com"}
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    teams = _load_teams(users, stdout)

    yuling = _community(YULING)
    needed = {"staff@example.com", "leader1@example.com", "leader2@example.com"}
    if yuling is None or not needed <= set(users) or "volunteer1@example.com" not in users:
        stdout.write("  tasks: skipped (玉岭社区 or its demo accounts are missing)")
        return
    made = 0
    for title, build in _scenarios(yuling, users, teams):
        if not Task.objects.filter(community=yuling, title=title).exists():
            build(title)
            made += 1
    stdout.write(f"  tasks: {made} new")

    resident2 = users.get("resident2@example.com")
    if resident2 and not Need.objects.filter(requester=resident2).exists():
        services.file_need(
            actor=resident2,
            community=yuling,
            category=Need.Category.ELDERLY_CARE,
            description="我母亲八十多岁，腿脚不好，我平时上班走不开。想请志愿者每周帮她买一次菜，"
            "顺便陪她说说话。",
        )
    resident3 = users.get("resident3@example.com")
    env = teams["玉岭社区环境志愿服务队"]
    if resident3 and not TeamMembership.objects.filter(team=env, user=resident3).exists():
        services.request_team_membership(
            actor=resident3, team=env, note="周末有空，想参加小区的环境整治。"
        )

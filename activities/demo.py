"""Demo data: 玉岭社区's activities, one of each kind and in the states people meet.

- a 公益集市 twelve days ago, run by 玉岭社区环境志愿服务队: the paper sign-in sheet entered
  afterwards, one line corrected, closed by staff, so its hours stand approved in 我的时长;
- an 扬帆计划 session of the 社区治理学院 three weeks ago: attended, closed, training records;
- an upcoming 邻里节 with places left and a few sign-ups (one made at the desk for a resident);
- an upcoming 集体生日会 that is full, with two people on the waiting list.

Runs after communities and teams (INSTALLED_APPS order) and finds their accounts and teams
by e-mail and name. Idempotent: each activity is found by its title in 玉岭社区 and, when it
exists, left alone. Everything goes through `activities.services`; the only direct write
moves a finished activity's times into the past, as the services never create one there.
"""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from communities.models import Community
from teams.models import Team

from . import services
from .models import Activity

YULING = ("松滋市", "新江口街道", "玉岭社区")
ENV_TEAM = "玉岭社区环境志愿服务队"

FAIR = "玉岭社区公益集市"
TRAINING = "社区治理学院·扬帆计划：怎样带好一次小组活动"
FESTIVAL = "玉岭社区邻里节"
BIRTHDAY = "老年人集体生日会"

EMAILS = [
    "staff@example.com",
    "leader1@example.com",
    "leader2@example.com",
    "volunteer1@example.com",
    *[f"resident{n}@example.com" for n in range(1, 7)],
]


def _community(path):
    node = None
    for name in path:
        node = Community.objects.filter(parent=node, name=name).first()
        if node is None:
            return None
    return node


def _at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    """Local time `hour:minute`, `days` from today (negative: in the past)."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _move_to_past(activity: Activity, starts_at, ends_at) -> Activity:
    """The services only create activities that are still ahead; a demo of one that is over
    is made ahead, filled with its sign-ups, then moved back in time here."""
    Activity.objects.filter(pk=activity.pk).update(starts_at=starts_at, ends_at=ends_at)
    activity.refresh_from_db()
    return activity


def _soon(length: datetime.timedelta):
    """A window in the near future to create an activity that is moved back afterwards."""
    starts_at = timezone.now() + datetime.timedelta(days=1)
    return {"starts_at": starts_at, "ends_at": starts_at + length}


def _fair(yuling, users, teams):
    staff, leader1 = users["staff"], users["leader1"]
    leader2, volunteer1 = users["leader2"], users["volunteer1"]
    starts_at, ends_at = _at(-12, 8, 30), _at(-12, 11, 30)
    activity = services.create_activity(
        actor=leader1,
        community=yuling,
        team=teams[ENV_TEAM],
        kind=Activity.Kind.SERVICE,
        title=FAIR,
        description=(
            "中心广场上摆开一排摊位：退休医生量血压、测血糖，理发师傅给老人理发，"
            "还有磨剪刀、修小家电和旧衣物换新。志愿者负责搭摊、引导排队、"
            "照看老人，散场后把广场打扫干净。"
        ),
        place="玉岭社区中心广场",
        quota=8,
        audience=Activity.Audience.VOLUNTEERS,
        **_soon(ends_at - starts_at),
    )
    for person in (volunteer1, leader2, leader1):
        services.sign_up(actor=person, activity=activity)
    activity = _move_to_past(activity, starts_at, ends_at)
    # The organiser types in the paper sheet; his own line is entered by staff, since
    # nobody records their own attendance at a time of their choosing.
    services.record_sheet(
        actor=leader1,
        activity=activity,
        person=volunteer1,
        checked_in_at=_at(-12, 8, 10),
        checked_out_at=_at(-12, 11, 50),
    )
    leader2_line = services.record_sheet(
        actor=leader1,
        activity=activity,
        person=leader2,
        checked_in_at=_at(-12, 9, 0),
        checked_out_at=_at(-12, 11, 30),
    )
    services.record_sheet(
        actor=staff,
        activity=activity,
        person=leader1,
        checked_in_at=_at(-12, 8, 0),
        checked_out_at=_at(-12, 12, 0),
    )
    services.correct_hours(
        actor=leader1,
        attendance=leader2_line,
        hours="2",
        reason="中间回家照看老人半小时，签退时忘了写，按实际服务时间改为2小时。",
    )
    services.close_activity(actor=staff, activity=activity)


def _training(yuling, users, teams):
    staff = users["staff"]
    starts_at, ends_at = _at(-21, 14, 30), _at(-21, 16, 30)
    activity = services.create_activity(
        actor=staff,
        community=yuling,
        kind=Activity.Kind.TRAINING,
        title=TRAINING,
        description=(
            "社区治理学院“扬帆计划”的一课。请有经验的社会工作师讲小组活动从破冰到收尾"
            "每一步该怎么做，再分组演练一遍。适合队长和常来帮忙的志愿者。"
        ),
        place="玉岭社区党群服务中心二楼会议室",
        quota=20,
        audience=Activity.Audience.VOLUNTEERS,
        **_soon(ends_at - starts_at),
    )
    people = [users["leader1"], users["leader2"], users["volunteer1"]]
    for person in people:
        services.sign_up(actor=person, activity=activity)
    activity = _move_to_past(activity, starts_at, ends_at)
    for person in people:
        services.record_sheet(
            actor=staff,
            activity=activity,
            person=person,
            checked_in_at=_at(-21, 14, 20),
            checked_out_at=_at(-21, 16, 40),
        )
    services.close_activity(actor=staff, activity=activity)


def _festival(yuling, users, teams):
    staff = users["staff"]
    activity = services.create_activity(
        actor=staff,
        community=yuling,
        kind=Activity.Kind.EVENT,
        title=FESTIVAL,
        description=(
            "一年一次的邻里节。各家带一道拿手菜来拼一桌百家宴，楼栋之间比一比才艺，"
            "孩子们可以去剪纸和手工桌。想来的邻居请先报名，方便准备桌椅和餐具。"
        ),
        place="玉岭社区中心广场",
        quota=40,
        audience=Activity.Audience.RESIDENTS,
        starts_at=_at(6, 9, 0),
        ends_at=_at(6, 11, 30),
    )
    for n in (1, 2, 3, 4):
        services.sign_up(actor=users[f"resident{n}"], activity=activity)
    # 赵德明 does not use a smartphone: staff signed him up at the service desk.
    services.sign_up(actor=staff, activity=activity, person=users["resident6"])


def _birthday(yuling, users, teams):
    staff = users["staff"]
    activity = services.create_activity(
        actor=staff,
        community=yuling,
        kind=Activity.Kind.EVENT,
        title=BIRTHDAY,
        description=(
            "给这个月过生日的老人一起过生日：吃蛋糕、拍合影，志愿者陪大家唱唱老歌。"
            "活动室坐不下太多人，名额满了可以先排队，有人退出会按顺序通知。"
        ),
        place="玉岭社区老年活动室",
        quota=3,
        audience=Activity.Audience.RESIDENTS,
        starts_at=_at(3, 15, 0),
        ends_at=_at(3, 16, 30),
    )
    for n in (2, 3, 4, 5, 1):
        services.sign_up(actor=users[f"resident{n}"], activity=activity)


SCENARIOS = [
    (TRAINING, _training),
    (FAIR, _fair),
    (BIRTHDAY, _birthday),
    (FESTIVAL, _festival),
]


def load(*, stdout):
    yuling = _community(YULING)
    User = get_user_model()
    users = {u.email.split("@")[0]: u for u in User.objects.filter(email__in=EMAILS)}
    teams = {t.name: t for t in Team.objects.filter(name=ENV_TEAM)}
    if yuling is None or len(users) < len(EMAILS) or ENV_TEAM not in teams:
        stdout.write("  activities: skipped (玉岭社区, its accounts or its teams are missing)")
        return
    made = 0
    for title, build in SCENARIOS:
        if not Activity.objects.filter(community=yuling, title=title).exists():
            build(yuling, users, teams)
            made += 1
    stdout.write(f"  activities: {made} new")

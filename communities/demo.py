"""Demo data: part of the Jingzhou community tree and the demo accounts of 玉岭社区.

Idempotent: everything is found by its natural key (name under its parent, e-mail address),
so loading twice leaves the same rows. Called by `manage.py load_demo`.
"""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from .models import Community, Membership
from .services import sync_staff_access

PASSWORD = "demo-pass-2026"

D, S, C = Community.Kind.DISTRICT, Community.Kind.STREET, Community.Kind.COMMUNITY

# (name, kind, description, children)
TREE = [
    (
        "沙市区",
        D,
        "荆州的中心城区之一，老街巷和新小区交错在一起。",
        [
            (
                "解放路街道",
                S,
                "老城区的街道，辖区里多是建成多年的小区。",
                [
                    (
                        "十方庵社区",
                        C,
                        "绿化带里一度堆满了旧物杂物。居民们自己组织起花卉志愿服务队，"
                        "清走杂物、种上花草，如今大家轮流照看这片共享的小花园。",
                        [],
                    ),
                ],
            ),
            (
                "联合街道",
                S,
                "沙市区的城区街道。",
                [
                    (
                        "翠湖苑社区",
                        C,
                        "社区把清洁家园、家政帮手、情绪疏导等需要整理成一张服务清单，"
                        "再按类别组建志愿队伍，一年里办了上百场公益活动。",
                        [],
                    ),
                ],
            ),
        ],
    ),
    (
        "荆州区",
        D,
        "古城所在的城区。",
        [
            (
                "西城街道",
                S,
                "荆州区的城区街道。",
                [
                    (
                        "通会桥社区",
                        C,
                        "留在家里的妇女们结成爱心编织小组，把织好的手工品拿去义卖，"
                        "卖得的钱用来帮衬社区里手头紧的邻居。",
                        [],
                    ),
                ],
            ),
        ],
    ),
    (
        "纪南文旅区",
        D,
        "以文化旅游为主的功能区。",
        [
            (
                "凤凰街道",
                S,
                "纪南文旅区的街道。",
                [
                    (
                        "郢东社区",
                        C,
                        "不少家庭父母都上班、或者在外跑新业态的活计，孩子放学后没人照看。"
                        "社区为此成立了“爱心妈妈”志愿服务队。",
                        [],
                    ),
                ],
            ),
        ],
    ),
    (
        "江陵县",
        D,
        "以农村为主的县，正在探索“社工+志愿者”一起做事的办法。",
        [
            (
                "马家寨乡",
                S,
                "江陵县的一个乡。",
                [
                    (
                        "同心村",
                        C,
                        "年轻人大多外出打工，村里留守老人多。社工、村干部和志愿者一起，"
                        "按老人的身体状况分类照顾：幸福食堂管饭，志愿者上门送药，每月还给老人过集体生日。",
                        [],
                    ),
                ],
            ),
        ],
    ),
    (
        "松滋市",
        D,
        "荆州下辖的县级市。",
        [
            (
                "新江口街道",
                S,
                "松滋市的中心城区街道。",
                [
                    (
                        "玉岭社区",
                        C,
                        "社区请来专业社工机构常驻，定期开小区议事会。居民在议事会上提出的垃圾问题"
                        "很快有人跟进处理，也带动了更多居民加入志愿服务。本站的演示社区。",
                        [],
                    ),
                ],
            ),
        ],
    ),
    (
        "洪湖市",
        D,
        "湖区的县级市。",
        [
            (
                "乌林镇",
                S,
                "镇里引入社工机构，搭起居民协商的平台，一起办“邻里节”，"
                "还给社区工作者和志愿者开了系列技能培训。",
                [
                    (
                        "乌林社区",
                        C,
                        "乌林镇上的社区，居民通过协商平台一起商量身边的事。",
                        [],
                    ),
                ],
            ),
            (
                "大同湖管理区",
                S,
                "常年办公益集市，退休医生和志愿服务队在集市上为大家提供便民服务。",
                [],
            ),
        ],
    ),
    (
        "公安县",
        D,
        "这里的“蓝丝带”志愿者和社工一起，给孩子们讲应急知识、教他们动手用应急器材。",
        [],
    ),
    (
        "监利市",
        D,
        "当地的妇女儿童维权组织发起“万家无暴”项目，为受家庭暴力困扰的人提供心理疏导和法律帮助。",
        [],
    ),
]

# email, display name, superuser
ACCOUNTS = [
    ("admin@example.com", "平台管理员", True),
    ("staff@example.com", "王敏", False),
    ("resident1@example.com", "张秀兰", False),
    ("resident2@example.com", "李建国", False),
    ("resident3@example.com", "刘桂芳", False),
    ("resident4@example.com", "陈志强", False),
    ("resident5@example.com", "杨丽华", False),
    ("resident6@example.com", "赵德明", False),
    ("leader1@example.com", "周建华", False),
    ("leader2@example.com", "吴春燕", False),
    ("volunteer1@example.com", "郑小军", False),
    ("newcomer@example.com", "孙晓雨", False),
    ("editor@example.com", "林晓燕", False),
]

# Wagtail editors (the group brands' migrations set up): they write brand pages and news.
EDITORS = ["editor@example.com"]

R = Membership.Role
ST = Membership.Status

# email, path of names, role, status, note
MEMBERSHIPS = [
    ("staff@example.com", ("松滋市", "新江口街道"), R.STAFF, ST.VERIFIED, ""),
    ("staff@example.com", ("松滋市", "新江口街道", "玉岭社区"), R.STAFF, ST.VERIFIED, ""),
    (
        "resident1@example.com",
        ("松滋市", "新江口街道", "玉岭社区"),
        R.REPRESENTATIVE,
        ST.VERIFIED,
        "",
    ),
    *[
        (
            f"resident{n}@example.com",
            ("松滋市", "新江口街道", "玉岭社区"),
            R.RESIDENT,
            ST.VERIFIED,
            "",
        )
        for n in range(2, 7)
    ],
    ("leader1@example.com", ("松滋市", "新江口街道", "玉岭社区"), R.RESIDENT, ST.VERIFIED, ""),
    ("leader2@example.com", ("松滋市", "新江口街道", "玉岭社区"), R.RESIDENT, ST.VERIFIED, ""),
    ("volunteer1@example.com", ("松滋市", "新江口街道", "玉岭社区"), R.RESIDENT, ST.VERIFIED, ""),
    (
        "newcomer@example.com",
        ("松滋市", "新江口街道", "玉岭社区"),
        R.RESIDENT,
        ST.PENDING,
        "上个月刚搬进玉岭社区，住3栋2单元。",
    ),
]


def _load_tree(nodes, parent, index, trail=()):
    for name, kind, description, children in nodes:
        community, created = Community.objects.get_or_create(
            parent=parent, name=name, defaults={"kind": kind, "description": description}
        )
        if not created and (community.kind, community.description) != (kind, description):
            community.kind = kind
            community.description = description
            community.save()
        index[(*trail, name)] = community
        _load_tree(children, community, index, (*trail, name))
    return index


def _load_user(email, display_name, superuser):
    User = get_user_model()
    user, _ = User.objects.get_or_create(email=email, defaults={"display_name": display_name})
    user.display_name = display_name
    user.is_active = True
    if superuser:
        user.is_superuser = True
        user.is_staff = True
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def load(*, stdout):
    communities = _load_tree(TREE, None, {})
    stdout.write(f"  communities: {len(communities)}")

    users = {email: _load_user(email, name, su) for email, name, su in ACCOUNTS}
    stdout.write(f"  accounts: {len(users)} (password {PASSWORD})")

    admin = users["admin@example.com"]
    for email, trail, role, status, note in MEMBERSHIPS:
        membership, created = Membership.objects.get_or_create(
            user=users[email],
            community=communities[trail],
            defaults={
                "role": role,
                "status": status,
                "note": note,
                "decided_by": admin if status == ST.VERIFIED else None,
                "decided_at": timezone.now() if status == ST.VERIFIED else None,
            },
        )
        if not created and (membership.role, membership.status) != (role, status):
            membership.role = role
            membership.status = status
            membership.decision_reason = ""
            membership.save(update_fields=["role", "status", "decision_reason"])
    for user in users.values():
        sync_staff_access(user)
    editors, _ = Group.objects.get_or_create(name="Editors")
    for email in EDITORS:
        users[email].groups.add(editors)
    stdout.write(f"  memberships: {len(MEMBERSHIPS)}")

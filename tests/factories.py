"""The test world's one definition: people, communities, memberships, teams, councils, tasks.

The conftests build their worlds from these; the older helper names (make_user, member,
make_team, make_task, skills) are thin wrappers kept so that test bodies did not change.
"""

import factory
from allauth.account.models import EmailAddress
from factory.django import DjangoModelFactory

from accounts.models import User
from communities.models import Community, Membership
from deliberation.models import Council, Proposal
from teams.models import Skill, Task, Team, TeamMembership

PASSWORD = "pw-123456"
SKILL_NAMES = dict(Skill.SLUGS)


class UserFactory(DjangoModelFactory):
    """A person who signed up and verified their e-mail address.

    email_verified=False leaves the address unverified; email_verified=None gives no allauth
    address at all, as the worlds built before this module had (sign-in by e-mail and
    e-mail ownership look at that address, so adding one would change what they see).
    """

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        superuser = factory.Trait(is_staff=True, is_superuser=True)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, email_verified=True, **kwargs):
        user = model_class.objects.create_user(*args, **kwargs)
        if email_verified is not None:
            EmailAddress.objects.create(
                user=user, email=user.email, verified=email_verified, primary=True
            )
        return user


class CommunityFactory(DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"社区{n}")
    kind = Community.Kind.COMMUNITY
    parent = None


def community_tree(district="松滋市", street="新江口街道", community="玉岭社区"):
    """A district, a street of it and a community of the street, as the demo data has them."""
    top = CommunityFactory(name=district, kind=Community.Kind.DISTRICT)
    middle = CommunityFactory(name=street, kind=Community.Kind.STREET, parent=top)
    return top, middle, CommunityFactory(name=community, parent=middle)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    community = factory.SubFactory(CommunityFactory)
    status = Membership.Status.VERIFIED


class SkillFactory(DjangoModelFactory):
    """A skill of the catalogue (Skill.SLUGS), as the migrations made it, or made so."""

    class Meta:
        model = Skill
        django_get_or_create = ("slug",)

    slug = "sanitation"
    name = factory.LazyAttribute(lambda skill: str(SKILL_NAMES[skill.slug]))


class TeamMembershipFactory(DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory("tests.factories.TeamFactory")
    user = factory.SubFactory(UserFactory)
    status = TeamMembership.Status.ACTIVE


class TeamFactory(DjangoModelFactory):
    """A team; skills and communities (lists) are set, the leader and members join active."""

    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"志愿队{n}")

    @factory.post_generation
    def skills(team, create, extracted, **kwargs):
        if create and extracted is not None:
            team.skills.set(extracted)

    @factory.post_generation
    def communities(team, create, extracted, **kwargs):
        if create and extracted is not None:
            team.communities.set(extracted)

    @factory.post_generation
    def leader(team, create, extracted, **kwargs):
        if create and extracted is not None:
            TeamMembershipFactory(team=team, user=extracted, role=TeamMembership.Role.LEADER)

    @factory.post_generation
    def members(team, create, extracted, **kwargs):
        if create and extracted is not None:
            for user in extracted:
                TeamMembershipFactory(team=team, user=user)


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task
        skip_postgeneration_save = True

    community = factory.SubFactory(CommunityFactory)
    title = "清理楼道杂物"
    status = Task.Status.OPEN
    team = None
    sensitive = False

    @factory.post_generation
    def required_skills(task, create, extracted, **kwargs):
        if create and extracted is not None:
            task.required_skills.set(extracted)


class CouncilFactory(DjangoModelFactory):
    class Meta:
        model = Council

    community = factory.SubFactory(CommunityFactory)


class ProposalFactory(DjangoModelFactory):
    class Meta:
        model = Proposal

    council = factory.SubFactory(CouncilFactory)
    author = factory.SubFactory(UserFactory)
    title = "垃圾分类点无人清运"
    body = "东门垃圾分类点的垃圾三天没人收了。"


# --- the helpers the tests call ---------------------------------------------------------------


def make_user(email, **extra):
    return UserFactory(email=email, email_verified=None, **extra)


def member(user, community, role="resident", status="verified"):
    """The user, made a member of the community (verified unless status says otherwise)."""
    MembershipFactory(user=user, community=community, role=role, status=status)
    return user


def add_staff(world, **staff_fields):
    """On the world: the staff of its yuling, street and other communities, and a superuser."""
    world.staff = member(make_user("staff@example.com", **staff_fields), world.yuling, "staff")
    world.street_staff = member(make_user("streetstaff@example.com"), world.street, "staff")
    world.other_staff = member(make_user("otherstaff@example.com"), world.other, "staff")
    world.superuser = UserFactory(email="root@example.com", superuser=True, email_verified=None)
    return world


def skills(*slugs):
    """The skills as the catalogue names them."""
    return [SkillFactory(slug=slug) for slug in slugs]


def english_skills(*slugs):
    """The skills, named in plain English ("Elderly care") whatever the migration called them,
    so that tests do not depend on translations or on data migrations."""
    assert set(slugs) <= set(SKILL_NAMES), slugs
    found = []
    for skill in skills(*slugs):
        skill.name = skill.slug.replace("-", " ").capitalize()
        skill.save()
        found.append(skill)
    return found


def make_team(
    name,
    *,
    community,
    skill_slugs=("sanitation",),
    leader=None,
    members=(),
    english=False,
):
    return TeamFactory(
        name=name,
        skills=(english_skills if english else skills)(*skill_slugs),
        communities=[community],
        leader=leader,
        members=members,
    )


def make_task(
    community, *, team=None, status="open", sensitive=False, skill_slugs=("sanitation",), **kw
):
    kw.setdefault("description", "3栋楼道堆放的纸箱需要清走。")
    kw.setdefault("location", "玉岭社区3栋")
    return TaskFactory(
        community=community,
        team=team,
        status=status,
        sensitive=sensitive,
        required_skills=english_skills(*skill_slugs),
        **kw,
    )

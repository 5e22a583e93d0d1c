import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from communities.models import Community, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(make_user):
    return make_user("root@example.com", is_superuser=True, is_staff=True)


def test_admin_pages_render_for_a_superuser(
    client, superuser, tree, pending_yuling, pending_shifangan
):
    client.force_login(superuser)
    urls = [
        reverse("wagtailadmin_home"),
        reverse("community:index"),
        reverse("community:index") + "?kind=community&q=玉岭",
        reverse("community:add"),
        reverse("community:edit", args=[tree.yuling.pk]),
        reverse("community:inspect", args=[tree.yuling.pk]),
        reverse("membership:index"),
        reverse("membership:index") + "?status=pending&role=resident",
        reverse("membership:index") + f"?community={tree.yuling.pk}",
        reverse("membership:add"),
        reverse("membership:edit", args=[pending_yuling.pk]),
        reverse("membership:history", args=[pending_yuling.pk]),
        reverse("community_chooser:choose"),
        reverse("community_chooser:choose_results") + "?q=玉岭",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    html = client.get(reverse("membership:index")).content.decode()
    assert "申请人" in html and "沙市居民" in html


def test_membership_filters(client, superuser, tree, pending_yuling, pending_shifangan):
    client.force_login(superuser)
    html = client.get(
        reverse("membership:index") + f"?community={tree.shifangan.pk}"
    ).content.decode()
    assert "沙市居民" in html and "申请人" not in html


def test_staff_only_see_memberships_of_their_communities(
    client, street_staff, pending_yuling, pending_shifangan
):
    client.force_login(street_staff)
    response = client.get(reverse("membership:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "申请人" in html
    assert "沙市居民" not in html
    assert reverse("membership:edit", args=[pending_yuling.pk]) in html
    assert reverse("membership:history", args=[pending_yuling.pk]) in html
    listed = set(response.context["object_list"])
    assert pending_yuling in listed and pending_shifangan not in listed

    assert client.get(reverse("membership:edit", args=[pending_yuling.pk])).status_code == 200
    assert client.get(reverse("membership:edit", args=[pending_shifangan.pk])).status_code == 404
    assert client.get(reverse("membership:history", args=[pending_shifangan.pk])).status_code == 404
    # the community tree itself is for superusers
    assert client.get(reverse("community:index")).status_code in (302, 403)


def test_residents_get_no_admin(client, tree, make_user, make_member):
    resident = make_user()
    make_member(resident, tree.yuling)
    client.force_login(resident)
    assert client.get(reverse("membership:index")).status_code in (302, 403)


def test_admin_verify_reject_and_role_call_the_services(
    client, street_staff, pending_yuling, pending_shifangan
):
    client.force_login(street_staff)
    url = reverse("membership:edit", args=[pending_yuling.pk])
    response = client.post(url, {"action": "verify", "role": "representative"})
    assert response.status_code == 302
    pending_yuling.refresh_from_db()
    assert pending_yuling.status == "verified" and pending_yuling.role == "representative"

    client.post(url, {"action": "role", "role": "resident"})
    pending_yuling.refresh_from_db()
    assert pending_yuling.role == "resident"

    response = client.post(url, {"action": "reject", "reason": ""})
    assert response.status_code == 200  # form error shown again
    pending_yuling.refresh_from_db()
    assert pending_yuling.status == "verified"

    client.post(url, {"action": "reject", "reason": "已搬离"})
    pending_yuling.refresh_from_db()
    assert pending_yuling.status == "rejected" and pending_yuling.decision_reason == "已搬离"

    history = client.get(reverse("membership:history", args=[pending_yuling.pk]))
    assert "已搬离" in history.content.decode()

    # not in their area: no page, no change
    elsewhere = reverse("membership:edit", args=[pending_shifangan.pk])
    assert client.post(elsewhere, {"action": "verify", "role": "resident"}).status_code == 404
    pending_shifangan.refresh_from_db()
    assert pending_shifangan.status == "pending"


def test_admin_grant_appoints_street_staff(client, superuser, tree, make_user):
    person = make_user("new-staff@example.com")
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    client.force_login(superuser)
    response = client.post(
        reverse("membership:add"),
        {"email": "NEW-STAFF@example.com", "community": tree.xinjiangkou.pk, "role": "staff"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=person)
    assert membership.community == tree.xinjiangkou and membership.is_verified
    client.force_login(person)
    assert client.get(reverse("membership:index")).status_code == 200


def test_admin_grant_goes_to_the_account_that_verified_the_address(
    client, superuser, tree, make_user
):
    """Someone who typed in another person's address, never verified, is not granted as them."""
    squatter = make_user("victim@example.com")
    EmailAddress.objects.create(user=squatter, email=squatter.email, verified=False, primary=True)
    client.force_login(superuser)
    grant = {"email": "victim@example.com", "community": tree.yuling.pk, "role": "staff"}
    response = client.post(reverse("membership:add"), grant)
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not Membership.objects.filter(user=squatter).exists()

    victim = make_user("victim@example.com")
    EmailAddress.objects.create(user=victim, email=victim.email, verified=True, primary=True)
    assert client.post(reverse("membership:add"), grant).status_code == 302
    assert Membership.objects.get(community=tree.yuling, role="staff").user == victim
    assert not Membership.objects.filter(user=squatter).exists()


def test_admin_grant_limits_communities_for_staff(client, street_staff, tree, make_user):
    make_user("someone@example.com")
    client.force_login(street_staff)
    response = client.post(
        reverse("membership:add"),
        {"email": "someone@example.com", "community": tree.shifangan.pk, "role": "resident"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["community"]
    unknown = client.post(
        reverse("membership:add"),
        {"email": "nobody@example.com", "community": tree.yuling.pk, "role": "resident"},
    )
    assert unknown.context["form"].errors["email"]
    assert not Membership.objects.filter(community__in=[tree.shifangan, tree.yuling]).exists()


def test_admin_community_create_uses_model_validation(client, superuser, tree):
    client.force_login(superuser)
    add = reverse("community:add")
    bad = client.post(add, {"name": "新社区", "kind": "community", "parent": tree.songzi.pk})
    assert bad.status_code == 200
    assert bad.context["form"].errors["parent"]
    top = client.post(add, {"name": "孤立社区", "kind": "community", "parent": ""})
    assert top.context["form"].errors["parent"]
    assert not Community.objects.filter(name__in=["新社区", "孤立社区"]).exists()

    ok = client.post(
        add,
        {
            "name": "新社区",
            "kind": "community",
            "parent": tree.xinjiangkou.pk,
            "task_stale_days": 7,
            "certificate_publicity_days": 7,
        },
    )
    assert ok.status_code == 302
    created = Community.objects.get(name="新社区")
    assert created.path == f"{tree.xinjiangkou.path}{created.pk}/"


def test_admin_community_cannot_move_under_itself(client, superuser, tree):
    client.force_login(superuser)
    response = client.post(
        reverse("community:edit", args=[tree.xinjiangkou.pk]),
        {"name": "新江口街道", "kind": "street", "parent": tree.xinjiangkou.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["parent"]


def test_admin_parent_field_uses_the_community_chooser(client, superuser, tree):
    client.force_login(superuser)
    html = client.get(reverse("community:edit", args=[tree.yuling.pk])).content.decode()
    assert reverse("community_chooser:choose") in html


def test_membership_index_queries_stay_constant(
    client, tree, street_staff, make_user, make_member, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(street_staff)
    url = reverse("membership:index")
    make_member(make_user(), tree.yuling, status="pending")
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for _ in range(15):
        make_member(make_user(), tree.yuling, status="pending")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(url).context["object_list"]) == 17

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities import services
from communities.models import Community, Membership

pytestmark = pytest.mark.django_db


def grow(tree, make_user, make_member, n):
    """Add n streets with a community each, and members, under 松滋市."""
    start = Community.objects.count()
    for i in range(start, start + n):
        street = Community.objects.create(name=f"街道{i}", kind="street", parent=tree.songzi)
        community = Community.objects.create(name=f"社区{i}", kind="community", parent=street)
        make_member(make_user(), community)
        make_member(make_user(), community, status="pending")


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("signed_in", [False, True])
def test_community_list_queries_stay_constant(
    client, tree, street_staff, make_user, make_member, django_assert_max_num_queries, signed_in
):
    if signed_in:
        client.force_login(street_staff)
    url = reverse("communities:list")
    grow(tree, make_user, make_member, 2)
    small = count_queries(client, url)
    grow(tree, make_user, make_member, 20)
    with django_assert_max_num_queries(small):
        response = client.get(url)
    html = response.content.decode()
    assert Community.objects.latest("pk").name in html and "十方庵社区" in html
    assert count_queries(client, url) == small


def test_community_list_shows_the_tree_in_order(client, tree, make_user, make_member):
    make_member(make_user(), tree.yuling)
    html = client.get(reverse("communities:list")).content.decode()
    assert html.index("松滋市") < html.index("新江口街道") < html.index("玉岭社区")
    assert html.index("沙市区") < html.index("解放路街道") < html.index("十方庵社区")


def test_detail_shows_counts_and_parent(client, tree, make_user, make_member):
    make_member(make_user(), tree.yuling)
    make_member(make_user(), tree.yuling, role="representative")
    make_member(make_user(), tree.yuling, status="pending")
    response = client.get(tree.yuling.get_absolute_url())
    assert response.status_code == 200
    assert response.context["counts"] == {"residents": 2, "representatives": 1, "staff": 0}
    html = response.content.decode()
    assert "新江口街道" in html
    assert reverse("account_login") in html
    assert response.context["join_form"] is None


def test_unknown_community_is_404(client, tree):
    assert client.get("/communities/999999/").status_code == 404
    assert client.get("/communities/99999999999999999999999/").status_code == 404


def test_join_from_the_detail_page(client, tree, applicant):
    client.force_login(applicant)
    response = client.get(tree.yuling.get_absolute_url())
    assert response.context["join_form"] is not None
    response = client.post(
        reverse("communities:join", args=[tree.yuling.pk]), {"note": "住3栋"}, follow=True
    )
    assert response.status_code == 200
    membership = Membership.objects.get(user=applicant, community=tree.yuling)
    assert membership.status == "pending" and membership.note == "住3栋"
    assert response.context["membership"] == membership
    assert response.context["join_form"] is None
    assert [m.level_tag for m in response.context["messages"]] == ["success"]


def test_join_needs_sign_in(client, tree):
    response = client.post(reverse("communities:join", args=[tree.yuling.pk]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not Membership.objects.exists()


def test_join_needs_post_and_csrf(tree, applicant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant)
    url = reverse("communities:join", args=[tree.yuling.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert not Membership.objects.exists()


def test_a_street_cannot_be_joined(client, tree, applicant):
    client.force_login(applicant)
    assert client.get(tree.xinjiangkou.get_absolute_url()).context["join_form"] is None
    response = client.post(reverse("communities:join", args=[tree.xinjiangkou.pk]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Membership.objects.exists()


def test_rejected_status_shows_the_reason_and_lets_you_ask_again(
    client, street_staff, pending_yuling, applicant
):
    services.reject_membership(actor=street_staff, membership=pending_yuling, reason="请补充门牌号")
    client.force_login(applicant)
    response = client.get(pending_yuling.community.get_absolute_url())
    assert "请补充门牌号" in response.content.decode()
    assert response.context["join_form"] is not None
    client.post(reverse("communities:join", args=[pending_yuling.community.pk]), {"note": "501"})
    pending_yuling.refresh_from_db()
    assert pending_yuling.status == "pending"


def test_requests_page_for_street_staff(
    client, tree, street_staff, pending_yuling, pending_shifangan
):
    client.force_login(street_staff)
    for community in (tree.xinjiangkou, tree.yuling):
        response = client.get(reverse("communities:requests", args=[community.pk]))
        assert response.status_code == 200
        assert response.context["pending"] == [pending_yuling]
        html = response.content.decode()
        assert "申请人" in html and "沙市居民" not in html
        assert "csrfmiddlewaretoken" in html
    assert client.get(reverse("communities:requests", args=[tree.shifangan.pk])).status_code == 403


def test_requests_page_query_count_is_constant(
    client, tree, street_staff, make_user, make_member, django_assert_max_num_queries
):
    client.force_login(street_staff)
    url = reverse("communities:requests", args=[tree.xinjiangkou.pk])
    make_member(make_user(), tree.yuling, status="pending")
    small = count_queries(client, url)
    for _ in range(15):
        make_member(make_user(), tree.yuling, status="pending")
    with django_assert_max_num_queries(small):
        assert len(client.get(url).context["pending"]) == 16


def test_requests_page_refuses_residents_and_strangers(client, tree, make_user, make_member):
    assert client.get(reverse("communities:requests", args=[tree.yuling.pk])).status_code == 302
    resident = make_user()
    make_member(resident, tree.yuling, role="representative")
    client.force_login(resident)
    assert client.get(reverse("communities:requests", args=[tree.yuling.pk])).status_code == 403


def test_pending_staff_cannot_open_the_requests_page(client, tree, make_user, make_member):
    hopeful = make_user()
    make_member(hopeful, tree.xinjiangkou, role="staff", status="pending")
    client.force_login(hopeful)
    assert client.get(reverse("communities:requests", args=[tree.yuling.pk])).status_code == 403
    assert client.get(reverse("communities:managed")).context["communities"] == []


def test_verify_from_the_requests_page(client, tree, street_staff, pending_yuling):
    client.force_login(street_staff)
    page = reverse("communities:requests", args=[tree.yuling.pk])
    response = client.post(
        reverse("communities:verify", args=[pending_yuling.pk]),
        {"role": "representative", "next": page},
    )
    assert response.status_code == 302 and response["Location"] == page
    pending_yuling.refresh_from_db()
    assert pending_yuling.status == "verified" and pending_yuling.role == "representative"


def test_verify_elsewhere_is_refused_with_a_message(client, street_staff, pending_shifangan):
    client.force_login(street_staff)
    response = client.post(
        reverse("communities:verify", args=[pending_shifangan.pk]),
        {"role": "resident"},
        follow=True,
    )
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    pending_shifangan.refresh_from_db()
    assert pending_shifangan.status == "pending"


def test_reject_from_the_requests_page(client, street_staff, pending_yuling):
    client.force_login(street_staff)
    url = reverse("communities:reject", args=[pending_yuling.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    pending_yuling.refresh_from_db()
    assert pending_yuling.status == "pending"

    client.post(url, {"reason": "不是本社区居民"})
    pending_yuling.refresh_from_db()
    assert pending_yuling.status == "rejected"
    assert pending_yuling.decision_reason == "不是本社区居民"


def test_a_foreign_next_url_is_ignored(client, tree, street_staff, pending_yuling):
    client.force_login(street_staff)
    response = client.post(
        reverse("communities:verify", args=[pending_yuling.pk]),
        {"role": "resident", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("communities:requests", args=[tree.yuling.pk])


def test_verify_unknown_membership_is_404(client, street_staff):
    client.force_login(street_staff)
    assert client.post(reverse("communities:verify", args=[424242])).status_code == 404


def test_managed_page_and_nav_link(client, tree, street_staff, applicant):
    client.force_login(street_staff)
    response = client.get(reverse("communities:managed"))
    assert response.status_code == 200
    assert [c.name for c in response.context["communities"]] == ["新江口街道", "玉岭社区"]
    assert reverse("communities:managed") in client.get("/communities/").content.decode()

    client.force_login(applicant)
    assert reverse("communities:managed") not in client.get("/communities/").content.decode()
    assert client.get(reverse("communities:managed")).context["communities"] == []


def test_requests_page_offers_no_decision_on_ones_own_request(
    client, tree, street_staff, make_member, pending_yuling
):
    own = make_member(street_staff, tree.yuling, status="pending")
    client.force_login(street_staff)
    html = client.get(reverse("communities:requests", args=[tree.yuling.pk])).content.decode()
    assert reverse("communities:verify", args=[pending_yuling.pk]) in html
    assert reverse("communities:verify", args=[own.pk]) not in html
    assert reverse("communities:reject", args=[own.pk]) not in html
    client.post(reverse("communities:verify", args=[own.pk]), {"role": "staff"})
    own.refresh_from_db()
    assert own.status == "pending"

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import Community, Membership

pytestmark = pytest.mark.django_db

API = "/api/v1"


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_list_communities_for_anyone(client, tree):
    response = client.get(f"{API}/communities")
    assert response.status_code == 200
    rows = response.json()
    assert [r["name"] for r in rows][:3] == ["松滋市", "新江口街道", "玉岭社区"]
    yuling = next(r for r in rows if r["name"] == "玉岭社区")
    assert yuling == {
        "id": tree.yuling.pk,
        "name": "玉岭社区",
        "kind": "community",
        "parent_id": tree.xinjiangkou.pk,
        "path": tree.yuling.path,
        "url": f"/communities/{tree.yuling.pk}/",
    }


def test_list_communities_filtered_by_kind(client, tree):
    rows = client.get(f"{API}/communities?kind=street").json()
    assert {r["name"] for r in rows} == {"新江口街道", "解放路街道"}
    response = client.get(f"{API}/communities?kind=planet")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_list_communities_query_count_is_constant(client, tree, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as small:
        client.get(f"{API}/communities")
    for i in range(30):
        Community.objects.create(name=f"街道{i}", kind="street", parent=tree.songzi)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(f"{API}/communities").json()) == 36


def test_community_detail(client, tree, make_user, make_member, applicant):
    make_member(make_user(), tree.yuling, role="representative")
    make_member(make_user(), tree.yuling)
    body = client.get(f"{API}/communities/{tree.yuling.pk}").json()
    assert body["ancestors"] == [
        {"id": tree.songzi.pk, "name": "松滋市"},
        {"id": tree.xinjiangkou.pk, "name": "新江口街道"},
    ]
    assert body["verified_residents"] == 2
    assert body["representatives"] == 1
    assert body["membership"] is None

    street = client.get(f"{API}/communities/{tree.xinjiangkou.pk}").json()
    assert street["children"] == [{"id": tree.yuling.pk, "name": "玉岭社区"}]
    assert street["verified_residents"] == 2

    make_member(applicant, tree.yuling, status="rejected", decision_reason="重复申请")
    client.force_login(applicant)
    mine = client.get(f"{API}/communities/{tree.yuling.pk}").json()["membership"]
    assert mine["status"] == "rejected" and mine["reason"] == "重复申请"


@pytest.mark.parametrize("pk", ["424242", "99999999999999999999999", "0", "-1"])
def test_unknown_community_is_404(client, tree, pk):
    response = client.get(f"{API}/communities/{pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert set(response.json()) >= {"detail", "code"}


def test_request_membership_needs_sign_in(client, tree):
    response = post(client, f"{API}/communities/{tree.yuling.pk}/membership")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_request_membership(client, tree, applicant):
    client.force_login(applicant)
    url = f"{API}/communities/{tree.yuling.pk}/membership"
    response = post(client, url, {"note": "3栋"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending" and body["role"] == "resident" and body["note"] == "3栋"
    assert body["community"] == {"id": tree.yuling.pk, "name": "玉岭社区"}
    assert body["user"] == {"id": applicant.pk, "display_name": "申请人"}
    # again, and without a body: the same request
    again = client.generic("POST", url)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Membership.objects.count() == 1


def test_request_membership_errors(client, tree, applicant):
    client.force_login(applicant)
    street = post(client, f"{API}/communities/{tree.xinjiangkou.pk}/membership")
    assert street.status_code == 400 and street.json()["code"] == "not_joinable"
    missing = post(client, f"{API}/communities/424242/membership")
    assert missing.status_code == 404
    long_note = post(client, f"{API}/communities/{tree.yuling.pk}/membership", {"note": "x" * 300})
    assert long_note.status_code == 400
    assert long_note.json()["code"] == "invalid" and "note" in long_note.json()["errors"]
    bad_json = client.post(
        f"{API}/communities/{tree.yuling.pk}/membership", "{", content_type="application/json"
    )
    assert bad_json.status_code == 400
    assert not Membership.objects.exists()


def test_verify_by_street_staff(client, street_staff, pending_yuling):
    client.force_login(street_staff)
    response = post(client, f"{API}/memberships/{pending_yuling.pk}/verify", {"role": "staff"})
    assert response.status_code == 200
    assert response.json()["status"] == "verified" and response.json()["role"] == "staff"
    assert response.json()["decided_at"]
    again = post(client, f"{API}/memberships/{pending_yuling.pk}/verify")
    assert again.status_code == 409 and again.json()["code"] == "already_verified"


def test_verify_elsewhere_is_forbidden(client, street_staff, pending_shifangan):
    client.force_login(street_staff)
    response = post(client, f"{API}/memberships/{pending_shifangan.pk}/verify")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    pending_shifangan.refresh_from_db()
    assert pending_shifangan.status == "pending"


def test_verify_errors(client, tree, street_staff, pending_yuling, applicant):
    assert post(client, f"{API}/memberships/{pending_yuling.pk}/verify").status_code == 401
    client.force_login(applicant)
    own = post(client, f"{API}/memberships/{pending_yuling.pk}/verify")
    assert own.status_code == 403
    client.force_login(street_staff)
    bad_role = post(client, f"{API}/memberships/{pending_yuling.pk}/verify", {"role": "mayor"})
    assert bad_role.status_code == 400 and bad_role.json()["code"] == "invalid"
    assert post(client, f"{API}/memberships/424242/verify").status_code == 404
    huge = post(client, f"{API}/memberships/99999999999999999999999/verify")
    assert huge.status_code == 404


def test_reject(client, street_staff, pending_yuling, pending_shifangan):
    client.force_login(street_staff)
    url = f"{API}/memberships/{pending_yuling.pk}/reject"
    missing = post(client, url)
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]
    blank = post(client, url, {"reason": "  "})
    assert blank.status_code == 400 and blank.json()["errors"]["reason"]
    ok = post(client, url, {"reason": "信息不全"})
    assert ok.status_code == 200
    assert ok.json()["status"] == "rejected" and ok.json()["reason"] == "信息不全"
    twice = post(client, url, {"reason": "信息不全"})
    assert twice.status_code == 409
    elsewhere = post(client, f"{API}/memberships/{pending_shifangan.pk}/reject", {"reason": "x"})
    assert elsewhere.status_code == 403


def test_re_request_after_rejection_over_the_api(client, street_staff, pending_yuling, applicant):
    client.force_login(street_staff)
    post(client, f"{API}/memberships/{pending_yuling.pk}/reject", {"reason": "请补充门牌号"})
    client.force_login(applicant)
    body = post(
        client, f"{API}/communities/{pending_yuling.community_id}/membership", {"note": "501"}
    ).json()
    assert body["id"] == pending_yuling.pk
    assert body["status"] == "pending" and body["reason"] == ""

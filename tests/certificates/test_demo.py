"""The certificates demo: volunteer1 with a real-name profile and one valid certificate, a
second certificate on 玉岭社区's public notice list, twice without change."""

import io

import pytest
from wagtail.models import ModelLogEntry

from activities import demo as activities_demo
from certificates import demo, idnumbers, selectors
from certificates.models import Certificate, VolunteerProfile
from communities import demo as communities_demo
from communities.models import Community
from teams import demo as teams_demo

pytestmark = pytest.mark.django_db


def load_all(out):
    for module in (communities_demo, teams_demo, activities_demo, demo):
        module.load(stdout=out)


def test_demo_is_complete_and_idempotent():
    out = io.StringIO()
    load_all(out)
    counts = (
        VolunteerProfile.objects.count(),
        Certificate.objects.count(),
        ModelLogEntry.objects.filter(action__startswith="linli.certificate").count(),
    )
    demo.load(stdout=out)
    assert counts == (
        VolunteerProfile.objects.count(),
        Certificate.objects.count(),
        ModelLogEntry.objects.filter(action__startswith="linli.certificate").count(),
    )
    assert counts[:2] == (2, 2)

    yuling = Community.objects.get(name="玉岭社区")
    assert yuling.person_in_charge and yuling.contact_phone

    profile = VolunteerProfile.objects.get(user__email="volunteer1@example.com")
    number = profile.id_number()
    assert idnumbers.validate("resident_id", number) == number
    assert profile.id_number_masked == idnumbers.mask(number)

    valid = Certificate.objects.get(holder__email="volunteer1@example.com")
    assert valid.current_status == "valid"
    assert valid.number and valid.issued_by.email == "staff@example.com"
    assert valid.issued_at < valid.publicity_until
    assert valid.issued_at.date() > valid.period_end
    assert valid.person_in_charge == yuling.person_in_charge
    assert valid.contact == yuling.contact_phone
    assert valid.total_hours > 0 and valid.lines.count() >= 1
    assert selectors.verification(number=valid.number)["status"] == "valid"

    publicising = list(selectors.publicity_list(community=yuling))
    assert [c.holder.email for c in publicising] == ["leader2@example.com"]
    assert publicising[0].current_status == "publicising"

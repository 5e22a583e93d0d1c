import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from certificates import idnumbers, selectors, services
from certificates.models import VolunteerProfile
from teams import ledger

from .conftest import resident_id


def test_check_digit_and_masking():
    assert idnumbers.check_digit("11010519491231002") == "X"
    assert idnumbers.validate("resident_id", "11010519491231002x") == "11010519491231002X"
    with pytest.raises(ValidationError):
        idnumbers.validate("resident_id", "110105194912310021")
    assert idnumbers.mask(resident_id()) == "421" + "*" * 11 + resident_id()[-4:]
    assert idnumbers.mask_name("张秀兰") == "张*兰"


def test_request_issue_verify(served, world):
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    assert resident_id() not in profile.id_number_encrypted
    assert profile.id_number() == resident_id()
    today = timezone.localdate()
    certificate, created = services.request_certificate(
        actor=world.volunteer,
        community=world.yuling,
        period_start=today - datetime.timedelta(days=60),
        period_end=today,
    )
    assert created
    issued = services.issue_certificate(actor=world.staff, certificate=certificate)
    again = services.issue_certificate(actor=world.staff, certificate=certificate)
    assert issued.number == again.number and issued.current_status == "publicising"
    assert issued.total_hours == Decimal("5.00") == ledger.approved_hours(volunteer=world.volunteer)
    answer = selectors.verification(number=issued.number)
    assert answer["holder"] == "张*兰" and answer["hours"] == Decimal("5.00")
    assert selectors.verification(number="LL2026-AAAA-AAAA") is None

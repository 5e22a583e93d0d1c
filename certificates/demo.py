"""Demo data: real-name profiles and volunteer service certificates of 玉岭社区.

- 玉岭社区 gets the person in charge and the contact phone its certificates print (invented);
- 郑小军 (volunteer1) has a real-name profile and a valid certificate for the approved hours
  of the activities demo's 公益集市: issued by 王敏 (staff), its public notice is over;
- 吴春燕 (leader2) has a certificate for the 公益集市 that is on public notice now, so the
  community's publicity list is not empty.

Runs after communities, teams and activities (INSTALLED_APPS order) and finds their accounts
by e-mail. The identity numbers are made up (松滋市's area code, an invented birth date and
sequence, the right check digit). Idempotent: a person who has a profile keeps it, and a
certificate is asked for only when the person has none from 玉岭社区. Everything goes through
certificates.services; the only direct write moves the first certificate's issue and notice
period into the past, as the service issues now.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from communities.models import Community
from core.errors import ServiceError

from . import idnumbers, services
from .models import Certificate, VolunteerProfile

YULING = ("松滋市", "新江口街道", "玉岭社区")
PERSON_IN_CHARGE = "陈国平"
CONTACT_PHONE = "0716-6221234"


def resident_id(first14: str, sequence: str) -> str:
    """A made-up resident identity number: area code and birth date, a three-digit sequence
    (odd for men, even for women) and the check digit."""
    first17 = first14 + sequence
    return first17 + idnumbers.check_digit(first17)


# e-mail, real name, identity number, national volunteer number
PROFILES = [
    ("volunteer1@example.com", "郑小军", resident_id("42108719880615", "031"), "42108700123456"),
    ("leader2@example.com", "吴春燕", resident_id("42108719750921", "046"), ""),
]

# e-mail, period (days ago: from, to), purpose, notice already over
CERTIFICATES = [
    ("volunteer1@example.com", (30, 10), "单位评选优秀志愿者", True),
    ("leader2@example.com", (14, 10), "", False),
]


def _community(path):
    node = None
    for name in path:
        node = Community.objects.filter(parent=node, name=name).first()
        if node is None:
            return None
    return node


def _days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def _certify(yuling, holder, staff, period, purpose, notice_over, stdout) -> bool:
    start, end = period
    try:
        certificate, _created = services.request_certificate(
            actor=holder,
            community=yuling,
            period_start=_days_ago(start),
            period_end=_days_ago(end),
            purpose=purpose,
        )
        certificate = services.issue_certificate(actor=staff, certificate=certificate)
    except (ServiceError, ValidationError) as exc:
        stdout.write(f"  certificates: {holder.email} skipped ({exc})")
        return False
    if notice_over:
        issued_at = timezone.now() - datetime.timedelta(days=yuling.certificate_publicity_days + 2)
        Certificate.objects.filter(pk=certificate.pk).update(
            issued_at=issued_at,
            publicity_until=issued_at + datetime.timedelta(days=yuling.certificate_publicity_days),
        )
    return True


def load(*, stdout):
    yuling = _community(YULING)
    emails = [email for email, *_ in PROFILES] + ["staff@example.com"]
    users = {u.email: u for u in get_user_model().objects.filter(email__in=emails)}
    if yuling is None or len(users) < len(emails):
        stdout.write("  certificates: skipped (玉岭社区 or its demo accounts are missing)")
        return
    Community.objects.filter(pk=yuling.pk, person_in_charge="").update(
        person_in_charge=PERSON_IN_CHARGE, contact_phone=CONTACT_PHONE
    )
    yuling.refresh_from_db()

    profiles = 0
    for email, name, number, volunteer_number in PROFILES:
        if not VolunteerProfile.objects.filter(user=users[email]).exists():
            services.save_profile(
                actor=users[email],
                real_name=name,
                id_type=idnumbers.IdType.RESIDENT_ID,
                id_number=number,
                volunteer_number=volunteer_number,
            )
            profiles += 1

    made = 0
    for email, period, purpose, notice_over in CERTIFICATES:
        holder = users[email]
        if Certificate.objects.filter(holder=holder, community=yuling).exists():
            continue
        made += _certify(
            yuling, holder, users["staff@example.com"], period, purpose, notice_over, stdout
        )
    stdout.write(f"  certificates: {profiles} profiles, {made} certificates new")

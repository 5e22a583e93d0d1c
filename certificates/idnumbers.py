"""Identity document numbers: checked for their type, and masked for showing.

The resident identity card number (GB 11643-1999) has 17 digits and a check digit computed
with ISO 7064 MOD 11-2 (the digit "X" stands for 10); its digits 7-14 are the birth date.
Residence permits of Hong Kong, Macao and Taiwan residents follow the same rule (their area
codes 810000, 820000, 830000), so they pass as resident identity numbers too.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", gettext_lazy("Resident identity card")
    PASSPORT = "passport", gettext_lazy("Passport")
    HK_MACAO_PERMIT = (
        "hk_macao",
        gettext_lazy("Mainland travel permit for Hong Kong and Macao residents"),
    )
    TAIWAN_PERMIT = "taiwan", gettext_lazy("Mainland travel permit for Taiwan residents")


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_RESIDENT = re.compile(r"^\d{17}[\dX]$")
_PASSPORT = re.compile(r"^[A-Z0-9]{5,17}$")
_HK_MACAO = re.compile(r"^[HM]\d{8}(\d{2})?$")
_TAIWAN = re.compile(r"^(\d{8}|\d{10}[A-Z]?)$")


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalise(id_type: str, number) -> str:
    """Upper case, spaces and dashes removed; the full-width Ｘ read as X."""
    text = str(number or "").strip().upper().replace("Ｘ", "X")
    return re.sub(r"[\s\-]", "", text)


def validate(id_type: str, number) -> str:
    """The number, normalised, or a ValidationError on `id_number` saying what is wrong."""
    if id_type not in IdType.values:
        raise ValidationError({"id_type": [_("Choose the type of identity document.")]})
    value = normalise(id_type, number)
    if not value:
        raise ValidationError({"id_number": [_("Enter the document number.")]})
    if id_type == IdType.RESIDENT_ID:
        if not _RESIDENT.match(value):
            raise ValidationError(
                {
                    "id_number": [
                        _(
                            "A resident identity number has 18 characters: "
                            "17 digits, then a digit or X."
                        )
                    ]
                }
            )
        try:
            born = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        except ValueError:
            born = None
        if born is None or born.year < 1900 or born > datetime.date.today():
            raise ValidationError(
                {"id_number": [_("The birth date in this number is not a real date.")]}
            )
        if check_digit(value[:17]) != value[17]:
            raise ValidationError(
                {
                    "id_number": [
                        _("The last character does not match; check the number for a typing error.")
                    ]
                }
            )
    elif id_type == IdType.PASSPORT:
        if not _PASSPORT.match(value):
            raise ValidationError(
                {"id_number": [_("A passport number has 5 to 17 letters and digits.")]}
            )
    elif id_type == IdType.HK_MACAO_PERMIT:
        if not _HK_MACAO.match(value):
            raise ValidationError(
                {
                    "id_number": [
                        _("This permit number starts with H or M followed by 8 or 10 digits.")
                    ]
                }
            )
    elif not _TAIWAN.match(value):
        raise ValidationError({"id_number": [_("This permit number has 8 or 10 digits.")]})
    return value


def mask(number: str) -> str:
    """The first and last few characters only: 420***********1234, H1****78."""
    if not number:
        return ""
    if len(number) >= 15:
        return number[:3] + "*" * (len(number) - 7) + number[-4:]
    keep = max(1, len(number) // 4)
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def mask_name(name: str) -> str:
    """张秀兰 -> 张*兰, 李明 -> 李*, Ann Lee -> A*******."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    if all(ord(ch) > 0x2E80 for ch in name):
        return name[0] + "*" * (len(name) - 2) + name[-1]
    return name[0] + "*" * (len(name) - 1)

"""allauth login stages of Linli's own (AccountAdapter.get_login_stages puts them in place)."""

from allauth.account.adapter import get_adapter
from allauth.account.stages import PhoneVerificationStage as AllauthPhoneVerificationStage
from allauth.core.exceptions import RateLimited


class PhoneVerificationStage(AllauthPhoneVerificationStage):
    """allauth's phone step, for accounts made before the number was asked for at sign-up.

    The number is required at sign-up now ("phone*"), and allauth then stops the login of an
    account without one. Accounts made with an e-mail address and a password (the demo's
    among them) sign in as before; they may add a number on their phone page.

    A password login of an account whose number is not verified yet texts a code to verify it
    on the way. When that number had a code a moment ago (ACCOUNT_RATE_LIMITS "verify_phone"),
    the login goes on without the step: the password already proved who it is, and the number,
    unverified, still owns nothing. A sign-up has no password to fall back on: there the limit
    stands and the person is told when to try again (accounts/middleware.py).
    """

    def handle(self):
        user = self.login.user
        if user is not None and get_adapter().get_phone(user) is None:
            return None, True
        try:
            return super().handle()
        except RateLimited:
            if self.login.signup:
                raise
            return None, True

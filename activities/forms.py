"""Forms of the resident-facing activity pages. The organiser's forms are in
organiser_forms.py."""

from django import forms


class TicketForm(forms.Form):
    """The check-in or check-out page's one button: the ticket the scanned code became."""

    ticket = forms.CharField(max_length=200, widget=forms.HiddenInput)

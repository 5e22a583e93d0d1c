"""Small serializers for linked objects in the pages API (/api/v2/)."""

from rest_framework import serializers


def _page_url(page, context) -> str | None:
    return page.get_url(request=context.get("request"))


class TeamLinkSerializer(serializers.Serializer):
    """A volunteer team linked to a brand project: {id, name, url}."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()

    def get_url(self, team) -> str:
        return team.get_absolute_url()


class BrandLinkSerializer(serializers.Serializer):
    """A brand project linked from a news item or the home page: {id, title, url}."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()

    def get_url(self, page) -> str | None:
        return _page_url(page, self.context)

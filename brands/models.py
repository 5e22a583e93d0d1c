"""Wagtail pages: the home page, brand projects (品牌项目) and news.

Tree: Root > HomePage > BrandIndexPage > BrandPage
                      > NewsIndexPage  > NewsPage
Every page type is readable over the pages API (/api/v2/pages/), see `api_fields`.
"""

from django import forms
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, PageChooserPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.images.api.fields import ImageRenditionField
from wagtail.models import Orderable, Page
from wagtail.search import index

from . import selectors
from .blocks import BodyBlock
from .serializers import BrandLinkSerializer, TeamLinkSerializer
from .text import cjk_index_text

NEWS_PER_PAGE = 10


def _stream_text(body) -> list[str]:
    """The plain text of a StreamField value (what Wagtail itself would index)."""
    if not body:
        return []
    return [str(text) for text in body.stream_block.get_searchable_content(body)]


class HomePage(Page):
    """The site root: what Linli is, featured brands, latest news, open proposals, figures."""

    intro = models.CharField(_("intro"), max_length=250, blank=True)
    body = RichTextField(_("body"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("body"),
        InlinePanel("featured_brands", label=_("Featured brand projects"), max_num=6),
    ]
    api_fields = [
        APIField("intro"),
        APIField("body"),
        APIField(
            "featured_brands",
            serializer=BrandLinkSerializer(many=True, source="featured_brand_pages"),
        ),
        APIField("figures"),
    ]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["brands.BrandIndexPage", "brands.NewsIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    @property
    def figures(self) -> dict:
        return selectors.site_figures()

    @property
    def featured_brand_pages(self) -> list:
        """Live featured brands in the editors' order (the first three when none is chosen)."""
        return selectors.featured_brands(self)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # A fixed number of queries: the logos' and covers' renditions in one, both index
        # pages in one.
        brands = selectors.featured_brands(self, renditions=False)
        news = selectors.latest_news(limit=4, renditions=False)
        selectors.prefetch_renditions([b.logo for b in brands] + [n.cover for n in news])
        context["featured_brands"] = brands
        context["latest_news"] = news
        context["open_proposals"] = selectors.open_proposals(limit=5)
        context["figures"] = selectors.site_figures()
        indexes = selectors.index_pages(self, BrandIndexPage, NewsIndexPage)
        context["brand_index"] = indexes[BrandIndexPage]
        context["news_index"] = indexes[NewsIndexPage]
        if request.user.is_authenticated:
            context["home"] = selectors.personal_home(user=request.user)
        return context

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        if request.user.is_authenticated:
            # Personal for a signed-in person: no shared cache may keep it for someone else.
            patch_cache_control(response, private=True, no_cache=True)
        return response


class HomeFeaturedBrand(Orderable):
    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured_brands")
    brand = models.ForeignKey(
        "brands.BrandPage",
        verbose_name=_("brand project"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    panels = [PageChooserPanel("brand", "brands.BrandPage")]

    class Meta(Orderable.Meta):
        verbose_name = _("featured brand project")


class BrandIndexPage(Page):
    intro = RichTextField(_("intro"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    api_fields = [APIField("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    parent_page_types = ["brands.HomePage"]
    subpage_types = ["brands.BrandPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("brand project index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["brands"] = selectors.brand_pages(parent=self)
        return context


class BrandPage(Page):
    """A brand project (品牌项目): what it does, its figures, the teams behind it."""

    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    intro = models.TextField(_("intro"), max_length=500, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)
    teams = ParentalManyToManyField(
        "teams.Team",
        verbose_name=_("volunteer teams"),
        blank=True,
        related_name="brand_pages",
        help_text=_("The teams that carry the project; their open tasks show on the page."),
    )
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("logo"),
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("teams", widget=forms.CheckboxSelectMultiple),
        InlinePanel("partners", label=_("Partners")),
        MultiFieldPanel(
            [
                FieldPanel("contact_name"),
                FieldPanel("contact_phone"),
                FieldPanel("contact_email"),
                FieldPanel("address"),
            ],
            heading=_("Contact"),
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("intro"),
        index.SearchField("body"),
        index.SearchField("cjk_index"),
    ]
    api_fields = [
        APIField("logo"),
        APIField("logo_rendition", serializer=ImageRenditionField("fill-400x400", source="logo")),
        APIField("intro"),
        APIField("body"),
        APIField("teams", serializer=TeamLinkSerializer(many=True)),
        APIField("partners"),
        APIField("contact_name"),
        APIField("contact_phone"),
        APIField("contact_email"),
        APIField("address"),
    ]

    parent_page_types = ["brands.BrandIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("brand project")
        verbose_name_plural = _("brand projects")

    def cjk_index(self) -> str:
        partners = [p.name for p in self.partners.all()]
        return cjk_index_text(self.title, self.intro, *_stream_text(self.body), *partners)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["teams"] = selectors.teams_with_open_tasks(self)
        context["activities"] = selectors.upcoming_activities(
            teams=[team for team, _tasks in context["teams"]]
        )
        context["news"] = selectors.latest_news(limit=5, brand=self)
        return context


class BrandPartner(Orderable):
    page = ParentalKey(BrandPage, on_delete=models.CASCADE, related_name="partners")
    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("web address"), blank=True)
    description = models.CharField(_("what they bring"), max_length=250, blank=True)

    panels = [FieldPanel("name"), FieldPanel("url"), FieldPanel("description")]
    api_fields = [APIField("name"), APIField("url"), APIField("description")]

    class Meta(Orderable.Meta):
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self):
        return self.name


class NewsIndexPage(Page):
    intro = RichTextField(_("intro"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    api_fields = [APIField("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    parent_page_types = ["brands.HomePage"]
    subpage_types = ["brands.NewsPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("news index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        tag = request.GET.get("tag", "").strip()[:100]
        brand = selectors.brand_from_param(request.GET.get("brand", ""))
        paginator = Paginator(
            selectors.news_pages(parent=self, tag=tag, brand=brand), NEWS_PER_PAGE
        )
        try:
            news = paginator.page(request.GET.get("page", 1))
        except (PageNotAnInteger, EmptyPage):
            news = paginator.page(1)
        selectors.prefetch_news_extras(news.object_list)
        context.update(
            news=news,
            paginator=paginator,
            current_tag=tag,
            current_brand=brand,
            brands=selectors.brand_pages(),
            tags=selectors.news_tags(),
        )
        return context


class NewsPageTag(TaggedItemBase):
    content_object = ParentalKey(
        "brands.NewsPage", on_delete=models.CASCADE, related_name="tagged_items"
    )


class NewsPage(Page):
    date = models.DateField(_("date"), default=timezone.localdate)
    cover = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("cover image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    intro = models.TextField(_("intro"), max_length=500, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)
    related_brands = ParentalManyToManyField(
        "brands.BrandPage",
        verbose_name=_("related brand projects"),
        blank=True,
        related_name="news_pages",
    )
    tags = ClusterTaggableManager(through=NewsPageTag, blank=True, verbose_name=_("tags"))

    content_panels = Page.content_panels + [
        FieldPanel("date"),
        FieldPanel("cover"),
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("related_brands", widget=forms.CheckboxSelectMultiple),
        FieldPanel("tags"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("intro"),
        index.SearchField("body"),
        index.SearchField("cjk_index"),
        index.FilterField("date"),
    ]
    api_fields = [
        APIField("date"),
        APIField("cover"),
        APIField("cover_rendition", serializer=ImageRenditionField("fill-800x450", source="cover")),
        APIField("intro"),
        APIField("body"),
        APIField("related_brands", serializer=BrandLinkSerializer(many=True)),
        APIField("tags"),
    ]

    parent_page_types = ["brands.NewsIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news")

    def cjk_index(self) -> str:
        tags = [tag.name for tag in self.tags.all()]
        return cjk_index_text(self.title, self.intro, *_stream_text(self.body), *tags)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Through the cluster, so that a preview shows the unsaved choice too.
        context["related_brands"] = [brand for brand in self.related_brands.all() if brand.live]
        context["page_tags"] = list(self.tags.all())
        return context

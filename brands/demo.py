"""Demo content: the seed's brand projects (品牌项目) and a few news items.

Runs after the teams and deliberation demo (`manage.py load_demo`). Idempotent: pages are found
by slug under their index, images by title. Images are drawn here with Pillow (coloured cards
with shapes); nothing is downloaded. Every sentence is written for Linli from the seed's facts.
"""

import io
import zlib
from datetime import date

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model
from wagtail.models import Page, Workflow, WorkflowPage
from wagtail.rich_text import RichText

from teams.models import Team

from .models import BrandIndexPage, BrandPage, HomeFeaturedBrand, HomePage, NewsIndexPage, NewsPage

COLOURS = ["#b3261e", "#1b6e3c", "#0b57a4", "#8a5a00", "#6a3d9a", "#00707a", "#a0365f"]


def _p(*paragraphs: str) -> RichText:
    return RichText("".join(f"<p>{text}</p>" for text in paragraphs))


# slug, title, intro, paragraphs, figures [(label, value)], quote (text, who) or None,
# teams (names, linked where the teams demo created them), contact
BRANDS = [
    (
        "leifeng",
        "雷锋互助社",
        "荆州持续擦亮的老牌志愿服务品牌：邻里之间互相搭把手，小事不出社区。",
        [
            "互助社把社区里“有困难的人”和“有时间的人”连在一起：谁家老人需要陪同看病，"
            "谁家水管坏了，登记一下，就有志愿者接手。",
            "社工负责把需求分类、排好轮次，志愿者负责上门，做完在平台上报告一声，"
            "大家都能看到事情办到了哪一步。",
        ],
        [("服务领域", "社区服务 · 基层治理")],
        ("有困难找志愿者，有时间做志愿者。", "荆州志愿服务的口号"),
        ["玉岭社区邻里互助队"],
        ("互助社值班社工", "", ""),
    ),
    (
        "pengguozhen",
        "彭国珍服务队",
        "以身边榜样命名的志愿服务队，长年扎根社区，是荆州重点培育的志愿服务品牌之一。",
        [
            "服务队的队员大多是社区里的热心居民，平时走访独居老人、帮忙调解邻里小矛盾。",
            "在“社会工作专业人才+志愿者”的联动方式下，社工为服务队做培训和方案设计，"
            "让热心变成更专业、更持久的服务。",
        ],
        [],
        None,
        [],
        ("", "", ""),
    ),
    (
        "legal-aid-spring",
        "法律援助“春”字号行动",
        "把法律咨询送到社区门口：讲政策、解纠纷、帮困难群众维护自己的权益。",
        [
            "法律援助志愿队的律师和法律工作者定期到社区坐班，居民不用跑远路就能问清楚"
            "劳动报酬、赡养、邻里纠纷等常见问题。",
            "遇到需要进一步帮助的个案，社工会跟进，把居民转介给合适的援助渠道。",
        ],
        [("形式", "社区坐班 · 上门咨询")],
        None,
        ["法律援助志愿队"],
        ("", "", ""),
    ),
    (
        "warm-winter",
        "暖冬行动",
        "天冷的时候，给独居老人、困难家庭送去棉衣、热饭和一次认真的上门探望。",
        [
            "每到入冬，社区把需要关照的家庭列成名单，志愿者分组上门，"
            "检查取暖和用电安全，顺便聊聊家常。",
            "行动从物资发放慢慢延伸到长期结对，很多志愿者开春之后还一直在走动。",
        ],
        [],
        None,
        ["玉岭社区邻里互助队"],
        ("", "", ""),
    ),
    (
        "no-violence",
        "万家无暴",
        "监利市蓝天下妇女儿童维权协会发起的项目，为家庭暴力受害者提供支持。",
        [
            "项目把妇联、公安、法院、民政和社会组织的力量拢到一起，"
            "为受害者提供心理咨询、法律援助等服务。",
            "社工负责个案陪伴和多部门之间的协调，志愿者参与宣传和日常关怀。",
        ],
        [("合作方", "妇联 · 公安 · 法院 · 民政")],
        None,
        [],
        ("", "", ""),
    ),
    (
        "community-stars",
        "社区红人",
        "新推出的志愿服务品牌：让社区里热心肠、有本事的居民站到台前，带动更多邻居参与。",
        [
            "“红人”可以是会修电器的大叔，也可以是组织广场舞的阿姨。"
            "社区发现他们、介绍他们，请他们牵头做一件小事。",
            "品牌服务于“共同缔造”：社区的事大家商量着办、一起动手做。",
        ],
        [],
        None,
        ["美丽天使花卉志愿服务队", "爱心编织小分队"],
        ("", "", ""),
    ),
    (
        "longshang-flowers",
        "陇上花开",
        "新兴的志愿服务品牌，关注生态环境与乡村的美好生活。",
        [
            "志愿者和村民一起清理沟渠、种花种树，把房前屋后的小空地变成大家愿意停留的地方。",
            "在维护社会和谐、保护生态环境方面，这个品牌和其他新品牌一样积极作为。",
        ],
        [],
        None,
        ["玉岭社区环境志愿服务队"],
        ("", "", ""),
    ),
    (
        "solar-terms",
        "二十四节气",
        "荆州高新区的文明实践活动品牌：跟着传统节气，一起做吃的、剪窗花、动手做小物件。",
        [
            "每个节气都有一场活动：共品时令美食、剪纸、手工DIY，老人和孩子都坐得住。",
            "配套建设了“社区文化活动中心”“老年儿童快乐之家”等功能区，"
            "给居民多了几处可以聚在一起的地方。",
        ],
        [("一年的节气", "24")],
        None,
        [],
        ("", "", ""),
    ),
    (
        "four-leaf-clover",
        "四叶草",
        "荆州市四叶草志愿服务队，聚焦留守儿童等特殊群体的专业帮扶。",
        [
            "服务队依托社会工作专业人才和志愿者，一边做服务，一边做标准化研究，"
            "把好用的做法整理成可以复制的流程。",
            "多年下来，已经为约三万名困难儿童提供了专业帮扶。",
        ],
        [("受助困难儿童", "约 3 万名")],
        ("孩子们需要的不只是物资，更是有人长期陪着。", "四叶草志愿者"),
        ["四叶草志愿服务队"],
        ("四叶草志愿服务队", "", ""),
    ),
    (
        "blue-ribbon",
        "蓝丝带",
        "公安县“蓝丝带”志愿者与“小水滴”社工一起，教孩子们防范危险、学会应急自救。",
        [
            "志愿者走进学校和社区，讲应急知识，也让孩子们亲手操作应急器材。",
            "社工负责课程设计和联络协调，志愿者负责带教和反馈，目标是全面提升儿童的应急自救能力。",
        ],
        [("合作社工团队", "小水滴")],
        None,
        ["蓝丝带志愿者"],
        ("", "", ""),
    ),
]

# slug, title, date, intro, paragraphs, brands (slugs), tags, quote or None
# Dated in the autumn of 2026, before the council's demo proposals (deliberation/demo.py puts
# them in the last weeks): the news tells how the council began.
NEWS = [
    (
        "yuling-council-garbage",
        "玉岭社区议事会：垃圾分类从一次议事开始",
        date(2026, 11, 3),
        "松滋市新江口街道玉岭社区请来专业社工机构，召开议事会，把居民反映的垃圾问题摆上桌面。",
        [
            "议事会上，居民们说得最多的是楼道和路口的垃圾：什么时候清、谁来清、怎么分类。",
            "社区当场定下办法，社工帮忙把任务拆细，志愿服务队接手，"
            "不少原本只是来提意见的居民，也报名当了垃圾分类的督导志愿者。",
        ],
        ["leifeng"],
        ["垃圾分类", "议事会"],
        ("以前是等人来管，现在是大家一起管。", "玉岭社区居民"),
    ),
    (
        "four-leaf-clover-children",
        "四叶草志愿服务队：陪伴三万名困难儿童",
        date(2026, 10, 15),
        "聚焦留守儿童的四叶草志愿服务队，把专业社工方法带进日常陪伴。",
        [
            "服务队的志愿者定期探访留守儿童家庭，辅导功课、陪着聊天，也留意孩子的情绪变化。",
            "社工把一次次服务的经验整理成标准流程，新加入的志愿者上手更快，服务也更稳定。",
        ],
        ["four-leaf-clover"],
        ["儿童", "志愿服务"],
        None,
    ),
    (
        "blue-ribbon-emergency",
        "蓝丝带志愿者教孩子们应急自救",
        date(2026, 9, 28),
        "公安县“蓝丝带”志愿者联合“小水滴”社工，开展应急知识科普和器材实操课。",
        [
            "课堂上，孩子们学会了拨打求救电话该说什么，也亲手试了灭火器和急救包。",
            "志愿者说，让孩子动手练一遍，比讲十遍都管用。",
        ],
        ["blue-ribbon"],
        ["应急", "儿童"],
        None,
    ),
    (
        "tongxin-happy-canteen",
        "同心村幸福食堂：每月逢“9”请老人吃饭",
        date(2026, 11, 10),
        "江陵县马家寨乡同心村用“社工+村干部+志愿者”的办法，照顾越来越多的留守老人。",
        [
            "村里按老人的身体状况分类服务：能自理的老人参加健康监测和文化活动，"
            "需要照料的由志愿者定期上门，不能自理的协助解决照料和生活问题。",
            "幸福食堂每月逢“9”提供免费餐，村里还设立养老专项资金，补贴老人吃饭。"
            "每个月有书法象棋比赛、广场舞晚会，还有集体生日会。",
        ],
        ["warm-winter"],
        ["养老"],
        (
            "以前缺少娱乐，现在可以一起练字、画画、跳舞，生病了也有志愿者送药上门。",
            "同心村的一位老人",
        ),
    ),
]

HOME_FEATURED = ["four-leaf-clover", "blue-ribbon", "solar-terms"]


def _colour(key: str, offset: int = 0) -> str:
    return COLOURS[(zlib.crc32(key.encode()) + offset) % len(COLOURS)]


def _draw_card(key: str, size: tuple[int, int]) -> bytes:
    """A coloured card with a few shapes, the same for the same key."""
    width, height = size
    seed = zlib.crc32(key.encode())
    image = PILImage.new("RGB", size, _colour(key))
    draw = ImageDraw.Draw(image)
    unit = min(width, height)
    for index in range(4):
        x = (seed >> (index * 5)) % width
        y = (seed >> (index * 3 + 2)) % height
        radius = unit // (4 + index)
        fill = _colour(key, index + 1)
        if index % 2:
            draw.rectangle([x - radius, y - radius, x + radius, y + radius], fill=fill)
        else:
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=fill)
    draw.ellipse(
        [
            width // 2 - unit // 6,
            height // 2 - unit // 6,
            width // 2 + unit // 6,
            height // 2 + unit // 6,
        ],
        fill="#ffffff",
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _image(title: str, key: str, size: tuple[int, int]):
    Image = get_image_model()
    image = Image.objects.filter(title=title).first()
    if image is None:
        data = io.BytesIO(_draw_card(key, size))
        image = Image(title=title)
        image.file = ImageFile(data, name=f"demo-{key}.png")
        image.save()
    return image


def _child(parent: Page, model, *, slug: str, title: str, **fields):
    page = model.objects.child_of(parent).filter(slug=slug).first()
    if page is not None:
        return page, False
    page = model(slug=slug, title=title, **fields)
    parent.add_child(instance=page)
    return page, True


def _indexes(home: HomePage):
    brand_index = BrandIndexPage.objects.child_of(home).first()
    if brand_index is None:
        brand_index, _ = _child(home, BrandIndexPage, slug="brands", title="品牌项目")
        brand_index.save_revision().publish()
    news_index = NewsIndexPage.objects.child_of(home).first()
    if news_index is None:
        news_index, _ = _child(home, NewsIndexPage, slug="news", title="新闻动态")
        news_index.save_revision().publish()
    workflow = Workflow.objects.filter(name="News moderation").first()
    if workflow and not WorkflowPage.objects.filter(page=news_index).exists():
        WorkflowPage.objects.create(page=news_index, workflow=workflow)
    return brand_index, news_index


def _load_brands(brand_index, stdout) -> dict[str, BrandPage]:
    brands = {}
    for slug, title, intro, paragraphs, figures, quote, team_names, contact in BRANDS:
        logo = _image(f"{title} 标志", f"brand-{slug}", (400, 400))
        body = [("paragraph", _p(*paragraphs))]
        if figures:
            body.append(("figures", [{"label": label, "value": value} for label, value in figures]))
        if quote:
            body.append(("quote", {"quote": quote[0], "attribution": quote[1]}))
        body.append(
            (
                "image",
                {"image": _image(f"{title} 活动", f"photo-{slug}", (960, 540)), "caption": ""},
            )
        )
        page, created = _child(
            brand_index,
            BrandPage,
            slug=slug,
            title=title,
            intro=intro,
            logo=logo,
            body=body,
            contact_name=contact[0],
            contact_phone=contact[1],
            contact_email=contact[2],
        )
        teams = list(Team.objects.filter(name__in=team_names).order_by("pk"))
        if created or {t.pk for t in teams} - set(page.teams.values_list("pk", flat=True)):
            page.teams.set(teams)
            page.save_revision().publish()
            stdout.write(f"  brand {title}: {len(teams)} team(s) linked")
        brands[slug] = page
    return brands


def _load_news(news_index, brands: dict[str, BrandPage], stdout) -> None:
    for slug, title, day, intro, paragraphs, brand_slugs, tags, quote in NEWS:
        if NewsPage.objects.child_of(news_index).filter(slug=slug).exists():
            continue
        body = [("paragraph", _p(*paragraphs))]
        if quote:
            body.append(("quote", {"quote": quote[0], "attribution": quote[1]}))
        page, _ = _child(
            news_index,
            NewsPage,
            slug=slug,
            title=title,
            date=day,
            intro=intro,
            body=body,
            cover=_image(f"{title} 封面", f"news-{slug}", (800, 450)),
        )
        page.related_brands.set([brands[b] for b in brand_slugs if b in brands])
        page.tags.set(tags)
        page.save_revision().publish()
        stdout.write(f"  news {title}")


def load(*, stdout) -> None:
    home = HomePage.objects.order_by("path").first()
    if home is None:
        stdout.write("  no home page: run the migrations first")
        return
    brand_index, news_index = _indexes(home)
    brands = _load_brands(brand_index, stdout)
    _load_news(news_index, brands, stdout)
    if not home.featured_brands.exists():
        for order, slug in enumerate(HOME_FEATURED):
            HomeFeaturedBrand.objects.create(page=home, brand=brands[slug], sort_order=order)
        home.save_revision().publish()
    stdout.write(f"  {len(brands)} brand projects, {NewsPage.objects.live().count()} news items")

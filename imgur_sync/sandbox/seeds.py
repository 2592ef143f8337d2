"""Deterministic worlds to serve: ``empty``, ``demo``, ``big`` and ``hostile``.

Every scenario is a pure function of the world's seed (and ``scale``): the same seed
gives the same ids, titles, tokens and media bytes. Times are fixed epochs, not "now",
so listings do not depend on when the sandbox started.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .media import image_bytes
from .state import Image, World

# 2025-01-01T00:00:00Z: seeded content is dated from here on.
EPOCH = 1735689600
DAY = 86400


@dataclass(frozen=True)
class Credentials:
    """What a config needs to talk to the sandbox as its main account."""

    client_id: str
    client_secret: str
    refresh_token: str
    username: str


def _base(world: World, username: str, others: tuple[str, ...] = ()) -> Credentials:
    world.add_account(username, bio=f"The {username} sandbox account", reputation=42,
                      created=EPOCH - 400 * DAY)
    for i, other in enumerate(others):
        world.add_account(other, bio=f"{other} posts here", reputation=100 * (i + 1),
                          created=EPOCH - (900 - 50 * i) * DAY)
    world.main_user = username
    client_id = world.add_client()
    token = world.issue_token(username, client_id)
    return Credentials(client_id, world.clients[client_id], token.refresh_token, username)


def _sized(image: Image) -> Image:
    """Set ``size`` from the bytes the media route will serve (so the two agree)."""
    image.size = len(image_bytes(image))
    return image


def seed_empty(world: World, scale: int = 1) -> Credentials:
    """One account and its application, no content."""
    return _base(world, "sandboxuser")


_DEMO_IMAGES = [
    # (title, label, description, album titles)
    ("Sleepy cat", "CAT 1", "Found the warmest spot in the house.", ["Cats"]),
    ("Cat vs. box", "CAT 2", None, ["Cats"]),
    ("The judge", "CAT 3", "She has seen everything.", ["Cats", "Favourites of 2025"]),
    ("Kitten in a teacup", "CAT 4", None, ["Cats"]),
    ("Harbour at dawn", "SEA 1", "Lisbon, first light.", ["Holiday 2025"]),
    ("Old tram", "TRAM", None, ["Holiday 2025", "Favourites of 2025"]),
    ("Pastel de nata", "FOOD", "Best breakfast of the trip.", ["Holiday 2025"]),
    ("Sunset from the castle", "SUN", None, ["Holiday 2025"]),
    ("Build passing", "CI OK", "Finally green.", ["Screenshots"]),
    (None, "NO TITLE", None, ["Screenshots"]),
    ("Desk setup", "DESK", "Two monitors, one plant.", []),
    ("Bike ride", "BIKE", None, []),
]

_OTHER_POSTS = [
    # (owner, title, tags, subreddit)
    ("catlover", "When the laser pointer runs out of battery", ["cats", "funny"], "aww"),
    ("catlover", "Tabby appreciation post", ["cats"], "aww"),
    ("shutterbug", "Milky way over the dunes", ["space", "photography"], "astrophotography"),
    ("shutterbug", "Fog in the valley", ["photography"], "earthporn"),
    ("nightowl", "Classic meme, new cat", ["memes", "cats"], "memes"),
    ("nightowl", "3am thoughts", ["memes"], None),
]


def seed_demo(world: World, scale: int = 1) -> Credentials:
    """A small account with real, viewable pictures: albums, favorites, messages."""
    rng = random.Random(world.seed)
    creds = _base(world, "ImgurSyncDemo", ("catlover", "shutterbug", "nightowl"))
    me = creds.username
    albums: dict[str, list[str]] = {}
    for i, (title, label, description, album_titles) in enumerate(_DEMO_IMAGES):
        animated = label == "DESK"
        image = world.add_image(
            me, title, description=description, datetime=EPOCH + i * 7 * DAY + 3600,
            media_kind="gif" if animated else "picture", label=label,
            mime="image/gif" if animated else "image/png", ext="gif" if animated else "png",
            animated=animated, width=320, height=240, name=f"IMG_{1000 + i}",
            views=rng.randrange(5, 500),
        )
        _sized(image)
        for album_title in album_titles:
            albums.setdefault(album_title, []).append(image.id)
    for i, (album_title, ids) in enumerate(albums.items()):
        world.add_album(me, album_title, ids, datetime=EPOCH + (100 + i) * DAY,
                        description=f"{len(ids)} pictures",
                        privacy="hidden" if i == 3 else "public")

    posts = []
    for i, (owner, title, tags, subreddit) in enumerate(_OTHER_POSTS):
        image = world.add_image(owner, title, datetime=EPOCH + (20 + 9 * i) * DAY,
                                media_kind="picture", label=title.split()[0].upper()[:8],
                                width=320, height=240, views=rng.randrange(1000, 90000))
        _sized(image)
        world.share(image.id, title, topic=tags[0].title(), tags=tags, subreddit=subreddit)
        image.ups, image.downs = rng.randrange(100, 5000), rng.randrange(0, 90)
        posts.append(image)
    pair = world.add_album("shutterbug", "Road trip, in order", [posts[2].id, posts[3].id],
                           datetime=EPOCH + 90 * DAY)
    world.share(pair.id, "Road trip, in order", topic="Photography", tags=["photography"])
    pair.ups = 321

    mine = world.images_of(me)
    world.share(mine[-1].id, "My cat judges your code", topic="Cats", tags=["cats"])

    for item in (posts[0].id, pair.id, posts[4].id, posts[1].id):
        world.favorite(me, item)
    world.favorite(me, mine[3].id)  # a favorite that is not in the gallery

    first = world.add_comment("catlover", posts[0].id, "This is my cat, AMA")
    mine_c = world.add_comment(me, posts[0].id, "What is her name?", parent_id=first.id)
    world.add_comment("catlover", posts[0].id, "Mochi!", parent_id=mine_c.id)
    world.add_comment("nightowl", posts[4].id, "Peak content")

    for i, (sender, recipient, body) in enumerate([
        ("catlover", me, "Hi! Loved your cat pictures."),
        (me, "catlover", "Thanks! Yours are great too."),
        ("catlover", me, "Would you mind if I shared 'The judge'?"),
        (me, "catlover", "Go ahead, with credit please."),
        ("shutterbug", me, "Which camera did you use in Lisbon?"),
    ]):
        world.add_message(sender, recipient, body, datetime=EPOCH + 200 * DAY + i * 3600)
    return creds


def seed_big(world: World, scale: int = 1) -> Credentials:
    """``scale``×1000 tiny images in ``scale``×40 albums, ~300 favorites, long threads."""
    rng = random.Random(world.seed)
    others = ("bigfriend", "bigposter", "bigchatter")
    creds = _base(world, "BigAccount", others)
    me = creds.username
    ids = _big_content(world, me, scale)

    gallery = []
    for i in range(330):
        owner = others[i % 2]
        image = world.add_image(owner, f"Gallery post {i}", datetime=EPOCH + i * 900,
                                media_kind="tiny", width=16, height=16)
        _sized(image)
        world.share(image.id, tags=["big"])
        image.ups = rng.randrange(10, 1000)
        gallery.append(image.id)
    for i in range(10):
        album = world.add_album(others[1], f"Gallery album {i}", gallery[i * 3:i * 3 + 3],
                                datetime=EPOCH + i * 5000)
        world.share(album.id, tags=["big"])
        gallery.append(album.id)
    for item_id in gallery[20:310]:
        world.favorite(me, item_id)
    for item_id in ids[:10]:
        world.favorite(me, item_id)

    for other, count in zip(others, (60, 31, 5), strict=True):
        for m in range(count):
            sender, recipient = (other, me) if m % 2 == 0 else (me, other)
            world.add_message(sender, recipient, f"Message {m} with {other}",
                              datetime=EPOCH + 300 * DAY + m * 60)
    return creds


def _big_content(world: World, me: str, scale: int) -> list[str]:
    """Give ``me`` the big account's own content: ``scale``×1000 images in ``scale``×40
    albums; return the image ids, oldest first."""
    n_images, n_albums = 1000 * scale, 40 * scale
    ids = []
    for i in range(n_images):
        image = world.add_image(
            me, f"Image {i:06d}" if i % 17 else None, datetime=EPOCH + i * 600,
            media_kind="tiny", width=16, height=16, description=None if i % 5 else f"note {i}",
        )
        _sized(image)
        ids.append(image.id)
    per_album = n_images // n_albums
    for a in range(n_albums):
        members = ids[a * per_album:(a + 1) * per_album]
        if a % 10 == 9:  # a few images live in two albums
            members = members + ids[(a - 1) * per_album:(a - 1) * per_album + 3]
        world.add_album(me, f"Album {a:04d}", members, datetime=EPOCH + a * 3600 * 3)
    return ids


def seed_account(world: World, username: str, client_id: str, scale: int = 1) -> str:
    """Add another account with the big account's own content (no favorites or messages),
    signed in to ``client_id``; return its refresh token. For benches of several accounts
    sharing one application's credits."""
    world.add_account(username, created=EPOCH - 400 * DAY)
    _big_content(world, username, scale)
    return world.issue_token(username, client_id).refresh_token


# Titles that try to run a script in the offline gallery (issue 14): shown as text, never run.
HOSTILE_MARKUP: list[str] = [
    "<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>",
    '"><svg onload=alert(1)>', "'><iframe src=javascript:alert(1)>",
    "</title><script>window.__pwned=1</script>", "\u2028</style><b>bold</b>&amp;\u2029",
]

# Titles that try to escape the mirror's root or break a file system (issue 4), and the
# markup above.
HOSTILE_TITLES: list[str | None] = [
    "../../../etc/passwd", "..", ".", "a/b\\c", "/absolute/path", "CON", "nul.txt", "aux",
    "COM1", "LPT9.png", "x" * 300, "é" * 150, "🐱‍👤 cats 🎉" * 20, "שלום עולם \u202egnp.exe",
    "猫の写真", "Photo", "PHOTO", "photo", "Same title", "Same title", "Same title", "",
    None, "tab\there\nnewline\x00null\x1b[31m", "trailing dot. ", "-rf --no-preserve-root",
    "   ", "~", "$HOME", "a:b*c?d\"e<f>g|h", ".hidden", "...", *HOSTILE_MARKUP,
]


def seed_hostile(world: World, scale: int = 1) -> Credentials:
    """An account whose titles are the worst a file system can meet."""
    creds = _base(world, "HostileTitles", ("evil",))
    me = creds.username
    ids = []
    for i, title in enumerate(HOSTILE_TITLES):
        image = world.add_image(me, title, datetime=EPOCH + i * 3600, media_kind="tiny",
                                description=title)
        _sized(image)
        ids.append(image.id)
    for i, title in enumerate(HOSTILE_TITLES):
        world.add_album(me, title, ids[i:i + 3], datetime=EPOCH + i * 7200)
    gallery = world.add_image("evil", "../../favorite/escape", datetime=EPOCH, media_kind="tiny")
    _sized(gallery)
    world.share(gallery.id, "../../favorite/escape")
    world.favorite(me, gallery.id)
    world.add_message("evil", me, "../../../../tmp/pwned")
    world.add_message("evil", me, "</script><script>alert(1)</script> <img src=x "
                      "onerror=alert(1)> <a href=\"javascript:alert(1)\">click</a>")
    return creds


SCENARIOS: dict[str, Callable[[World, int], Credentials]] = {
    "empty": seed_empty,
    "demo": seed_demo,
    "big": seed_big,
    "hostile": seed_hostile,
}


def seed_world(world: World, scenario: str, scale: int = 1) -> Credentials:
    """Fill ``world`` with ``scenario`` and return the main account's credentials."""
    if scale < 1:
        raise ValueError(f"scale must be 1 or more, not {scale}")
    return SCENARIOS[scenario](world, scale)

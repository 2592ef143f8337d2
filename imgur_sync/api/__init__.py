"""An Imgur API v3 client whose objects follow PyImgur 0.5.3's documented API.

Usable on its own: nothing here imports the rest of imgur_sync. For example::

    from imgur_sync.api import Imgur
    im = Imgur(CLIENT_ID, CLIENT_SECRET, refresh_token=REFRESH_TOKEN)
    album = im.create_album("Holiday", images=[im.upload_image("cat.png", title="Cat")])
    for image in album.images:          # lazy: reading images fetches the album once
        print(image.title, image.link, image.link_small_square)
    print([a.title for a in im.get_user("me").iter_albums()])

Objects are lazy (a nested cover or author is fetched on first use); errors descend from
``ImgurSyncError``; ``rate_limits`` holds Imgur's credit counters.
"""

from __future__ import annotations

from .auth import authorization_url, parse_redirect
from .client import Imgur
from .errors import (
    ApiError,
    AuthenticationError,
    BadRequest,
    BrokenDownload,
    CookieRefused,
    Forbidden,
    HeldBack,
    ImgurError,
    ImgurSyncError,
    MalformedResponse,
    MediaRefused,
    MediaRemoved,
    NotFound,
    OverCapacity,
    RateLimited,
    ServerError,
    TransportError,
    Unavailable,
    UnsafePath,
    UsageError,
)
from .gallery import (
    Comment,
    Gallery_album,
    Gallery_image,
    Gallery_item,
    GalleryAlbum,
    GalleryImage,
    GalleryItem,
)
from .ledger import ClientCredits, CreditLedger, read_ledger
from .media import MediaLimits
from .models import Album, Basic_object, BasicObject, Image
from .pagination import iter_pages
from .ratelimits import CreditBudget, RateLimits, keep_reserve
from .social import Message, Notification, User
from .transport import RetryPolicy, Tokens, Transport
from .urls import is_imgur_url, parse_imgur_url

__all__ = [
    "Album",
    "ApiError",
    "AuthenticationError",
    "BadRequest",
    "BasicObject",
    "Basic_object",
    "BrokenDownload",
    "ClientCredits",
    "Comment",
    "CookieRefused",
    "CreditBudget",
    "CreditLedger",
    "Forbidden",
    "GalleryAlbum",
    "GalleryImage",
    "GalleryItem",
    "Gallery_album",
    "Gallery_image",
    "Gallery_item",
    "HeldBack",
    "Image",
    "Imgur",
    "ImgurError",
    "ImgurSyncError",
    "MalformedResponse",
    "MediaLimits",
    "MediaRefused",
    "MediaRemoved",
    "Message",
    "NotFound",
    "Notification",
    "OverCapacity",
    "RateLimited",
    "RateLimits",
    "RetryPolicy",
    "ServerError",
    "Tokens",
    "Transport",
    "TransportError",
    "Unavailable",
    "UnsafePath",
    "UsageError",
    "User",
    "authorization_url",
    "is_imgur_url",
    "iter_pages",
    "keep_reserve",
    "parse_imgur_url",
    "parse_redirect",
    "read_ledger",
]

"""World objects → the JSON shapes Imgur sends (docs/IMGUR-API.md §Models).

``media`` is the base URL media links point at (the sandbox's own host, standing in
for i.imgur.com); ``viewer`` is the signed-in username or None. ``old`` asks for the
tidier shapes of the old docs; by default the shapes are those of recorded real answers
(2023–2024): ``""`` and ``null`` where a field has nothing to say.
"""

from __future__ import annotations

from typing import Any

from .state import Account, Album, Comment, Conversation, Image, Message, Notification, World


def _is_owner(owner: str | None, viewer: str | None) -> bool:
    return bool(owner and viewer and owner.lower() == viewer.lower())


def media_link(media: str, image: Image, suffix: str = "", ext: str | None = None) -> str:
    """Return the i.imgur.com-style link of an image (``suffix`` for thumbnails)."""
    if image.link and not suffix and ext is None:
        return image.link
    return f"{media}/{image.id}{suffix}.{ext or image.ext}"


def image_json(world: World, image: Image, media: str, viewer: str | None, *,
               in_album: bool = False, old: bool = False) -> dict[str, Any]:
    """Render an Image; inside an album the owner fields are null, as on Imgur."""
    owner = _is_owner(image.owner, viewer)
    # Real answers leave nsfw unknown (null) on unflagged images inside an album.
    nsfw = image.nsfw if old or image.nsfw or not in_album else None
    account = world.accounts.get(image.owner.lower()) if image.owner else None
    data: dict[str, Any] = {
        "id": image.id,
        "title": image.title,
        "description": image.description,
        "datetime": image.datetime,
        "type": image.mime,
        "animated": image.animated,
        "width": image.width,
        "height": image.height,
        "size": image.size,
        "views": image.views,
        "bandwidth": image.views * image.size,
        "vote": image.votes.get(viewer.lower()) if viewer else None,
        "favorite": bool(viewer and viewer.lower() in image.favorited_by),
        "nsfw": nsfw,
        "section": image.section,
        "account_url": None if in_album or account is None else account.url,
        "account_id": None if in_album or account is None else account.id,
        "is_ad": False,
        "in_most_viral": False,
        "has_sound": False,
        "tags": [],
        "ad_type": 0,
        "ad_url": "",
        "edited": "0",
        "in_gallery": image.in_gallery,
        "link": media_link(media, image),
    }
    # Secret: only the owner sees it (an anonymous uploader gets it in the upload answer).
    if owner:
        data["deletehash"] = image.deletehash
        data["name"] = image.name
    elif not old:  # real answers keep the keys and blank them
        data["deletehash"] = data["name"] = ""
    if not old:  # and send empty video links for still images
        data["mp4"] = data["hls"] = ""
    if image.animated:
        data["gifv"] = media_link(media, image, ext="gifv")
        data["mp4"] = media_link(media, image, ext="mp4")
        data["mp4_size"] = image.size
        data["looping"] = True
        data["hls"] = media_link(media, image, ext="m3u8")
    if image.mime.startswith("video/"):
        data["processing"] = {"status": "completed"}
    return data


def album_json(world: World, album: Album, media: str, viewer: str | None, *,
               with_images: bool = False, old: bool = False) -> dict[str, Any]:
    """Render an Album; ``images`` only on the direct album request."""
    account = world.accounts.get(album.owner.lower()) if album.owner else None
    cover = world.images.get(album.cover) if album.cover else None
    data: dict[str, Any] = {
        "id": album.id,
        "title": album.title,
        "description": album.description,
        "datetime": album.datetime,
        "cover": album.cover,
        "cover_edited": None,
        "cover_width": cover.width if cover else None,
        "cover_height": cover.height if cover else None,
        "account_url": account.url if account else None,
        "account_id": account.id if account else None,
        "privacy": album.privacy,
        "layout": album.layout,
        "views": album.views,
        "link": f"{media}/a/{album.id}",
        "favorite": bool(viewer and viewer.lower() in album.favorited_by),
        "nsfw": album.nsfw,
        "section": album.section,
        "images_count": len(album.image_ids),
        "in_gallery": album.in_gallery,
        "is_ad": False,
        "include_album_ads": False,
        "is_album": True,
        "order": 0,
    }
    if _is_owner(album.owner, viewer):
        data["deletehash"] = album.deletehash
    if with_images:
        data["images"] = [
            image_json(world, world.images[i], media, viewer, in_album=True, old=old)
            for i in album.image_ids
        ]
    return data


def gallery_json(world: World, item: Image | Album, media: str,
                 viewer: str | None, *, old: bool = False) -> dict[str, Any]:
    """Render a Gallery Image or Gallery Album (favorites, submissions, gallery lists)."""
    if isinstance(item, Album):
        data = album_json(world, item, media, viewer, with_images=True, old=old)
    else:
        data = image_json(world, item, media, viewer, old=old)
        data["is_album"] = False
        if not old:
            data["edited"] = 0  # an int on gallery images, a string elsewhere
    in_gallery = item.in_gallery
    comments = sum(1 for c in world.comments.values() if c.image_id == item.id and not c.deleted)
    data.update(
        {
            "datetime": item.gallery_datetime if in_gallery else item.datetime,
            "ups": item.ups if in_gallery else None,
            "downs": item.downs if in_gallery else None,
            "points": item.ups - item.downs if in_gallery else None,
            "score": item.ups if in_gallery else None,
            "comment_count": comments if in_gallery else None,
            "favorite_count": len(item.favorited_by) if in_gallery else None,
            "topic": item.topic,
            "topic_id": 0 if item.topic else None,
            "tags": [tag_json(world, t) for t in item.tags],
        }
    )
    return data


def favorite_json(world: World, item: Image | Album, media: str, viewer: str | None, *,
                  old: bool = False) -> dict[str, Any]:
    """Render an item of ``/account/{u}/favorites``; real album items are a bare summary."""
    data = gallery_json(world, item, media, viewer, old=old)
    if isinstance(item, Album) and not old:
        # Recorded 2024 answers: no images (a client fetches the album), null tags, ""
        # for the fields a favorite does not fill, and the privacy as a number.
        data.update({"images": None, "tags": None, "vote": "", "topic": "", "topic_id": "",
                     "privacy": "0"})
    return data


def tag_json(world: World, name: str) -> dict[str, Any]:
    """Render a Tag (without its items)."""
    total = sum(1 for i in world.gallery_items() if name in i.tags)
    return {
        "name": name,
        "display_name": name,
        "followers": total * 3,
        "total_items": total,
        "following": False,
        "is_whitelisted": False,
        "background_hash": "",
        "thumbnail_hash": None,
        "accent": "5C6BC0",
        "background_is_animated": False,
        "thumbnail_is_animated": False,
        "is_promoted": False,
        "description": "",
        "logo_hash": None,
        "logo_destination_url": None,
        "description_annotations": {},
    }


def account_json(account: Account) -> dict[str, Any]:
    """Render an Account."""
    return {
        "id": account.id,
        "url": account.url,
        "bio": account.bio,
        "avatar": f"https://imgur.com/user/{account.url}/avatar?maxwidth=290",
        "avatar_name": "default/" + account.url[:1].upper(),
        "cover": None,
        "cover_name": None,
        "reputation": account.reputation,
        "reputation_name": "Neutral",
        "created": account.created,
        "pro_expiration": False,
        "user_follow": {"status": False},
        "is_blocked": False,
    }


def settings_json(account: Account) -> dict[str, Any]:
    """Render Account Settings (owner only)."""
    return {
        "account_url": account.url,
        "email": account.email,
        "avatar": None,
        "cover": None,
        "public_images": account.public_images,
        "album_privacy": account.album_privacy,
        "pro_expiration": False,
        "accepted_gallery_terms": account.accepted_gallery_terms,
        "active_emails": [account.email],
        "messaging_enabled": account.messaging_enabled,
        "comment_replies": True,
        "blocked_users": [],
        "show_mature": account.show_mature,
        "newsletter_subscribed": False,
        "first_party": True,
    }


def comment_json(world: World, comment: Comment, viewer: str | None, *,
                 children: bool = True) -> dict[str, Any]:
    """Render a Comment, with its reply tree under ``children``."""
    author = world.accounts.get(comment.author.lower())
    album = world.albums.get(comment.image_id)
    data: dict[str, Any] = {
        "id": comment.id,
        "image_id": comment.image_id,
        "comment": comment.comment,
        "author": comment.author,
        "author_id": author.id if author else 0,
        "on_album": album is not None,
        "album_cover": album.cover if album else None,
        "ups": comment.ups,
        "downs": comment.downs,
        "points": comment.ups - comment.downs,
        "datetime": comment.datetime,
        "parent_id": comment.parent_id,
        "deleted": comment.deleted,
        "vote": comment.votes.get(viewer.lower()) if viewer else None,
        "platform": comment.platform,
        "has_admin_badge": False,
    }
    if children:
        data["children"] = [
            comment_json(world, c, viewer)
            for c in world.comments.values()
            if c.parent_id == comment.id and not c.deleted
        ]
    return data


def conversation_json(conversation: Conversation, viewer: str,
                      accounts: dict[str, Account]) -> dict[str, Any]:
    """Render a Conversation list entry (no messages)."""
    other = next((m for m in conversation.members if m.lower() != viewer.lower()),
                 conversation.members[0])
    last = conversation.messages[-1]
    return {
        "id": conversation.id,
        "last_message_preview": last.body[:80],
        "datetime": last.datetime,
        "with_account_id": accounts[other.lower()].id,
        "with_account": other,
        "message_count": len(conversation.messages),
    }


def message_json(message: Message, accounts: dict[str, Account]) -> dict[str, Any]:
    """Render a Message (``account_id`` is the receiver's id, as documented)."""
    return {
        "id": message.id,
        "from": message.sender,
        "account_id": accounts[message.recipient.lower()].id,
        "sender_id": accounts[message.sender.lower()].id,
        "body": message.body,
        "conversation_id": message.conversation_id,
        "datetime": message.datetime,
    }


def notification_json(world: World, note: Notification, viewer: str) -> dict[str, Any]:
    """Render a Notification; message content uses string ids, as the old docs show."""
    if note.kind == "reply":
        content: dict[str, Any] = comment_json(world, world.comments[note.ref], viewer,
                                               children=False)
    else:
        message = world.messages.get(note.ref)
        if message is None:
            content = {}
        else:
            conversation = world.conversations.get(message.conversation_id)
            content = {
                "id": str(message.conversation_id),
                "from": message.sender,
                "account_id": str(world.accounts[message.recipient.lower()].id),
                "with_account": str(world.accounts[message.sender.lower()].id),
                "last_message": message.body,
                "message_num": str(len(conversation.messages) if conversation else 1),
                "datetime": message.datetime,
            }
    return {
        "id": note.id,
        "account_id": world.accounts[note.account.lower()].id,
        "viewed": note.viewed,
        "content": content,
    }


def reply_json(world: World, note: Notification, viewer: str) -> dict[str, Any]:
    """Render a reply notification as 2024 answers do: the comment itself, flattened.

    The text is ``content``, the comment's id ``comment_id``; ``id`` stays the
    notification's, so it can still be marked viewed.
    """
    data = comment_json(world, world.comments[note.ref], viewer)
    data["comment_id"] = data.pop("id")
    data["content"] = data.pop("comment")
    return {"id": note.id, "account_id": world.accounts[note.account.lower()].id,
            "viewed": note.viewed, **data}

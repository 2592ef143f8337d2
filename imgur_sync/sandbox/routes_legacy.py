"""Endpoints Imgur has removed: conversations, notifications and the pre-2014 messages.

docs/IMGUR-API.md §Endpoints (legacy): messaging left the API on 2016-12-01 and
``/3/notification`` left the docs by 2017. Every route here is registered ``legacy=True``,
so it answers 404 (an unknown route, as today's Imgur most likely does) once
``options.legacy_routes`` is off. All need a Bearer token and show only the caller's own
threads, messages and notifications (403 otherwise).

Conversation pages start at **1**: page 1 holds the most recent 25 messages, oldest first;
``offset`` shifts the window back by that many messages; ``done`` says the page reached the
start of the thread and ``page`` is the number of the next page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .render import comment_json, conversation_json, message_json, notification_json
from .routing import ApiError, Ctx, route
from .state import Conversation, Message, Notification, World

LEGACY_PAGE = 25  # "1 for the most recent 25 messages and counting upwards"


def _legacy(rule: str, *methods: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a Bearer-only route that disappears with ``options.legacy_routes``."""
    return route(rule, *methods, auth="user", legacy=True)


def _member(members: tuple[str, ...], user: str) -> bool:
    return user.lower() in {m.lower() for m in members}


def _changed(world: World) -> None:
    """Bump the world's version after a direct field change (listing caches key on it)."""
    world.version += 1


def legacy_page(messages: list[Message], page: int, offset: int = 0,
                size: int = LEGACY_PAGE) -> tuple[list[Message], bool]:
    """Return (messages oldest first, done) for 1-based ``page`` counted from the newest."""
    end = len(messages) - offset - (page - 1) * size
    start = max(0, end - size)
    return (messages[start:end] if end > 0 else []), start == 0


# -- conversations --------------------------------------------------------------------------------


def _conversation(ctx: Ctx, conversation_id: int) -> Conversation:
    found = ctx.world.conversations.get(conversation_id)
    if found is None:
        raise ApiError(404, f"Unable to find a conversation with the id, {conversation_id}")
    if not _member(found.members, ctx.require_user()):
        raise ApiError(403, "You do not have permission to access this conversation")
    return found


@_legacy("/3/conversations")
def list_conversations(ctx: Ctx) -> list[dict[str, Any]]:
    """The caller's conversations, most recent first, without messages."""
    me = ctx.require_user()
    world = ctx.world
    return [conversation_json(c, me, world.accounts) for c in world.conversations_of(me)]


@_legacy("/3/conversations/<int:conversation_id>")
@_legacy("/3/conversations/<int:conversation_id>/<int:page>")
@_legacy("/3/conversations/<int:conversation_id>/<int:page>/<int:offset>")
def get_conversation(ctx: Ctx, conversation_id: int, page: int = 1,
                     offset: int = 0) -> dict[str, Any]:
    """One conversation with a page of its messages, plus ``done`` and the next ``page``."""
    if page < 1:
        raise ApiError(400, "Conversation pages start at 1")
    conversation = _conversation(ctx, conversation_id)
    accounts = ctx.world.accounts
    messages, done = legacy_page(conversation.messages, page, offset)
    data = conversation_json(conversation, ctx.require_user(), accounts)
    data.update(messages=[message_json(m, accounts) for m in messages], done=done,
                page=page + 1)
    return data


def _send(ctx: Ctx, recipient: str | None, body: str | None) -> Message:
    sender = ctx.require_user()
    if not recipient:
        raise ApiError(400, "A recipient is required")
    if not body or not body.strip():
        raise ApiError(400, "A message body is required")
    account = ctx.account(recipient)
    if account.url.lower() == sender.lower():
        raise ApiError(400, "You cannot send a message to yourself")
    if not account.messaging_enabled:
        raise ApiError(403, f"{account.url} does not accept messages")
    return ctx.world.add_message(sender, account.url, body)


@_legacy("/3/conversations", "POST")
@_legacy("/3/conversations/<username>", "POST")
def create_message(ctx: Ctx, username: str | None = None) -> bool:
    """Send ``body`` to ``username`` (R's imguR posts ``recipient`` to /3/conversations)."""
    _send(ctx, username or ctx.param("recipient"), ctx.param("body"))
    return True


@_legacy("/3/conversations/<int:conversation_id>", "DELETE")
def delete_conversation(ctx: Ctx, conversation_id: int) -> bool:
    """Delete one of the caller's conversations."""
    ctx.world.delete_conversation(_conversation(ctx, conversation_id).id)
    return True


@_legacy("/3/conversations/report/<username>", "POST")
@_legacy("/3/conversations/block/<username>", "POST")
def report_or_block_sender(ctx: Ctx, username: str) -> bool:
    """Report or block a sender; the sandbox only checks the account exists."""
    ctx.account(username)
    return True


# -- notifications --------------------------------------------------------------------------------


def _note_json(world: World, note: Notification, viewer: str) -> dict[str, Any]:
    data = notification_json(world, note, viewer)
    if note.kind == "reply":
        # imgurpython's build_notifications walks content["children"]; give it the tree.
        data["content"] = comment_json(world, world.comments[note.ref], viewer)
    return data


def _live(world: World, note: Notification) -> bool:
    """Skip notifications whose comment or message no longer exists."""
    return note.ref in (world.comments if note.kind == "reply" else world.messages)


def _notes(ctx: Ctx, username: str, kind: str | None = None) -> list[dict[str, Any]]:
    """Notifications, newest first; ``new`` (default true) keeps only unseen ones."""
    world = ctx.world
    notes = world.notifications_of(username, kind, new=ctx.flag("new", True))
    return [_note_json(world, n, username) for n in notes if _live(world, n)]


def _both(ctx: Ctx, username: str) -> dict[str, list[dict[str, Any]]]:
    return {"replies": _notes(ctx, username, "reply"),
            "messages": _notes(ctx, username, "message")}


def _own_note(ctx: Ctx, note_id: int) -> Notification:
    note = ctx.world.notifications.get(note_id)
    if note is None or not _live(ctx.world, note):
        raise ApiError(404, f"Unable to find a notification with the id, {note_id}")
    if note.account.lower() != ctx.require_user().lower():
        raise ApiError(403, "You do not have permission to access this notification")
    return note


@_legacy("/3/notification")
def notifications(ctx: Ctx) -> dict[str, list[dict[str, Any]]]:
    """``{"replies": [...], "messages": [...]}`` for the caller."""
    return _both(ctx, ctx.require_user())


@_legacy("/3/notification/<int:note_id>")
def get_notification(ctx: Ctx, note_id: int) -> dict[str, Any]:
    """One of the caller's notifications."""
    return _note_json(ctx.world, _own_note(ctx, note_id), ctx.require_user())


@_legacy("/3/notification/<int:note_id>", "POST")
def mark_viewed(ctx: Ctx, note_id: int) -> bool:
    """Mark one notification viewed (there is no way back)."""
    _own_note(ctx, note_id).viewed = True
    _changed(ctx.world)
    return True


def _posted_ids(ctx: Ctx) -> list[str]:
    ids = ctx.id_list("ids")
    if ids is None and not ctx.request.form:
        # imgurpython posts the bare string "1,2,3" as the body, without a form encoding.
        raw = ctx.request.get_data(as_text=True).strip().removeprefix("ids=")
        ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids:
        raise ApiError(400, "ids is required")
    return ids


@_legacy("/3/notification", "POST")
def mark_many_viewed(ctx: Ctx) -> bool:
    """Mark ``ids=a,b,c`` (or ``ids[]``) viewed; all must be the caller's."""
    ids = _posted_ids(ctx)
    if not all(i.isdigit() for i in ids):
        raise ApiError(400, "ids must be notification ids")
    notes = [_own_note(ctx, int(i)) for i in ids]  # check them all before changing any
    for note in notes:
        note.viewed = True
    _changed(ctx.world)
    return True


@_legacy("/3/account/<u>/notifications")
def account_notifications(ctx: Ctx, u: str) -> dict[str, list[dict[str, Any]]]:
    """PyImgur's User.get_notifications: ``{"messages": [...], "replies": [...]}``."""
    return _both(ctx, ctx.own_account(u).url)


@_legacy("/3/account/<u>/notifications/messages")
def account_message_notifications(ctx: Ctx, u: str) -> list[dict[str, Any]]:
    """PyImgur's User.get_messages: message notifications."""
    return _notes(ctx, ctx.own_account(u).url, "message")


# -- the pre-2014 message routes (PyImgur) ----------------------------------------------------


def _message(ctx: Ctx, message_id: int) -> Message:
    message = ctx.world.messages.get(message_id)
    if message is None:
        raise ApiError(404, f"Unable to find a message with the id, {message_id}")
    if not _member((message.sender, message.recipient), ctx.require_user()):
        raise ApiError(403, "You do not have permission to access this message")
    return message


def _message_json(world: World, message: Message) -> dict[str, Any]:
    data = message_json(message, world.accounts)
    conversation = world.conversations.get(message.conversation_id)
    # PyImgur's Message.get_thread follows parent_id: the first message of the thread.
    first = conversation.messages[0] if conversation and conversation.messages else message
    data["parent_id"] = first.id
    return data


@_legacy("/3/message/<int:message_id>")
def get_message(ctx: Ctx, message_id: int) -> dict[str, Any]:
    """One message the caller sent or received."""
    return _message_json(ctx.world, _message(ctx, message_id))


@_legacy("/3/message/<int:message_id>/thread")
def message_thread(ctx: Ctx, message_id: int) -> list[dict[str, Any]]:
    """Every message of the message's conversation, oldest first."""
    message = _message(ctx, message_id)
    conversation = ctx.world.conversations.get(message.conversation_id)
    thread = conversation.messages if conversation else [message]
    return [_message_json(ctx.world, m) for m in thread]


@_legacy("/3/message/<int:message_id>", "DELETE")
def delete_message(ctx: Ctx, message_id: int) -> bool:
    """Delete one message; an emptied conversation goes with it."""
    message = _message(ctx, message_id)
    world = ctx.world
    world.messages.pop(message.id, None)
    conversation = world.conversations.get(message.conversation_id)
    if conversation is not None:
        conversation.messages = [m for m in conversation.messages if m.id != message.id]
        if not conversation.messages:
            world.delete_conversation(conversation.id)
    _changed(world)
    return True


@_legacy("/3/message", "POST")
def send_message(ctx: Ctx) -> bool:
    """Send ``body`` to ``recipient``; ``parent_id`` may stand in for the recipient."""
    recipient = ctx.param("recipient")
    parent_id = (ctx.param("parent_id") or "").strip()
    if parent_id:
        if not parent_id.isdigit():
            raise ApiError(400, "parent_id must be a message id")
        parent = _message(ctx, int(parent_id))
        me = ctx.require_user().lower()
        recipient = recipient or (parent.recipient if parent.sender.lower() == me
                                  else parent.sender)
    # ``subject`` is accepted but not kept: conversations have no subject.
    _send(ctx, recipient, ctx.param("body"))
    return True

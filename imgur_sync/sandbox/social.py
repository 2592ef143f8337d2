"""Comments, private messages and notifications: the social half of the World."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import Comment, Conversation, Message, NotFound, Notification

if TYPE_CHECKING:
    from .state import World


class SocialMixin:
    """World methods for comments, conversations and notifications."""

    # -- comments --------------------------------------------------------------------

    def add_comment(self: World, author: str, image_id: str, text: str,
                    parent_id: int = 0) -> Comment:
        """Post a comment (or a reply when ``parent_id``) on a gallery item."""
        with self.lock:
            item = self.item(image_id)
            if parent_id and parent_id not in self.comments:
                raise NotFound(str(parent_id))
            comment = Comment(
                id=self.new_int(),
                image_id=item.id,
                author=self.account(author).url,
                comment=text,
                datetime=self.now(),
                parent_id=parent_id,
            )
            self.comments[comment.id] = comment
            if parent_id:
                parent_author = self.comments[parent_id].author
                if parent_author.lower() != author.lower():
                    self._notify(parent_author, "reply", comment.id)
            self._touch()
            return comment

    def comment(self: World, comment_id: int) -> Comment:
        """Return a comment that is not deleted."""
        found = self.comments.get(int(comment_id))
        if found is None or found.deleted:
            raise NotFound(str(comment_id))
        return found

    def comments_on(self: World, item_id: str) -> list[Comment]:
        """Return the live comments on an item, oldest first."""
        return [c for c in self.comments.values() if c.image_id == item_id and not c.deleted]

    def comments_by(self: World, username: str) -> list[Comment]:
        """Return the live comments an account wrote, newest first."""
        mine = [
            c for c in self.comments.values()
            if c.author.lower() == username.lower() and not c.deleted
        ]
        return sorted(mine, key=lambda c: (c.datetime, c.id), reverse=True)

    # -- messages and notifications -------------------------------------------------------

    def add_message(self: World, sender: str, recipient: str, body: str,
                    datetime: int | None = None) -> Message:
        """Send a private message, creating the conversation when needed."""
        with self.lock:
            a, b = self.account(sender).url, self.account(recipient).url
            conversation = self.conversation_between(a, b)
            if conversation is None:
                conversation = Conversation(id=self.new_int(), members=(a, b))
                self.conversations[conversation.id] = conversation
            message = Message(
                id=self.new_int(),
                conversation_id=conversation.id,
                sender=a,
                recipient=b,
                body=body,
                datetime=self.now() if datetime is None else datetime,
            )
            conversation.messages.append(message)
            self.messages[message.id] = message
            self._notify(b, "message", message.id)
            self._touch()
            return message

    def conversation_between(self: World, a: str, b: str) -> Conversation | None:
        """Return the conversation between two accounts, if any."""
        pair = {a.lower(), b.lower()}
        for conversation in self.conversations.values():
            if {m.lower() for m in conversation.members} == pair:
                return conversation
        return None

    def conversations_of(self: World, username: str) -> list[Conversation]:
        """Return an account's conversations, most recent message first."""
        mine = [
            c for c in self.conversations.values()
            if username.lower() in {m.lower() for m in c.members} and c.messages
        ]
        return sorted(mine, key=lambda c: (c.messages[-1].datetime, c.id), reverse=True)

    def delete_conversation(self: World, conversation_id: int) -> None:
        """Delete a conversation and its messages."""
        with self.lock:
            conversation = self.conversations.pop(int(conversation_id), None)
            if conversation is None:
                raise NotFound(str(conversation_id))
            for message in conversation.messages:
                self.messages.pop(message.id, None)
            self._touch()

    def _notify(self: World, username: str, kind: str, ref: int) -> None:
        note = Notification(id=self.new_int(), account=username, kind=kind, ref=ref)
        self.notifications[note.id] = note

    def notifications_of(self: World, username: str, kind: str | None = None,
                         new: bool = True) -> list[Notification]:
        """Return an account's notifications, newest first."""
        return sorted(
            (
                n for n in self.notifications.values()
                if n.account.lower() == username.lower()
                and (kind is None or n.kind == kind)
                and (not new or not n.viewed)
            ),
            key=lambda n: n.id,
            reverse=True,
        )

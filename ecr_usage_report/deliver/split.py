"""Split a long report into Slack-sized messages on line boundaries (pure functions)."""
from __future__ import annotations

SLACK_TEXT_LIMIT = 40_000  # Slack truncates `text` past this many characters
NUMBER_ROOM = 20  # room kept for the "(12/34) " prefix
MESSAGE_LIMIT = SLACK_TEXT_LIMIT - 1_000  # a margin under Slack's own limit


def blocks_of(text: str) -> list[list[str]]:
    """Group lines so that a repository line keeps its indented function lines."""
    blocks: list[list[str]] = []
    for line in text.split("\n"):
        if blocks and line.startswith("\t"):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def cut_line(line: str, limit: int) -> list[str]:
    """A single line longer than the limit, cut into pieces (the only place a line is cut)."""
    return [line[start:start + limit] for start in range(0, len(line), limit)] or [""]


def pieces_of(block: list[str], limit: int) -> list[str]:
    """A block as one piece when it fits, else its lines (cut when a line alone is too long)."""
    joined = "\n".join(block)
    if len(joined) <= limit:
        return [joined]
    return [piece for line in block for piece in cut_line(line, limit)]


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split text into messages of at most `limit` characters, nothing dropped.

    Joining the messages with newlines gives the text back exactly (a line longer
    than a whole message, the only thing ever cut, comes back split over messages).
    """
    budget = limit - NUMBER_ROOM
    messages: list[str] = []
    current: str | None = None
    for block in blocks_of(text):
        for piece in pieces_of(block, budget):
            if current is not None and len(current) + 1 + len(piece) <= budget:
                current += "\n" + piece
            else:
                if current is not None:
                    messages.append(current)
                current = piece
    messages.append(current or "")
    return messages


def number_messages(messages: list[str]) -> list[str]:
    """Prefix `(i/n) ` when there is more than one message."""
    if len(messages) == 1:
        return messages
    total = len(messages)
    return [f"({index}/{total}) {message}" for index, message in enumerate(messages, start=1)]

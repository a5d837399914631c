"""The Conversations API (the successor of threads): conversations and their items. A response
created with ``conversation`` reads the conversation's items as its context, appends its input
items at once and its output items when it ends, and continues the script the conversation's
latest response waits in (:mod:`fakeopenai.families.responses.responses`). No HTTP here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fakeopenai.core.errors import InvalidRequestError, NotFoundError
from fakeopenai.core.unknown_ids import made_for
from fakeopenai.families.responses.items import parse_input, store_items
from fakeopenai.families.responses.objects import Conversation
from fakeopenai.families.responses.world import world

if TYPE_CHECKING:
    from fakeopenai.core.state import TenantState


def create_conversation(state: TenantState, body: dict[str, Any], *, object_id: str | None = None) -> Conversation:
    """``POST /conversations``, its body already checked: the initial items parsed as a response's input is
    (``object_id``: a scenario's pinned id)."""
    conversation = Conversation(id=object_id or state.ids.new("conv_"), created_at=state.clock.tick(),
                                metadata=dict(body.get("metadata") or {}))
    items = resolve_references(state, parse_input(body.get("items") or []), "items")
    add_items(state, conversation, items)
    world(state).conversations.add(conversation.id, conversation)
    state.log_change("%s created with %d items", conversation.id, len(conversation._items))
    return conversation


def get_conversation(state: TenantState, conversation_id: str, *, param: str = "conversation_id") -> Conversation:
    conversation = world(state).conversations.get(conversation_id) or made_for(
        state, conversation_id, "conversation", lambda key: create_conversation(state, {}, object_id=key))
    if conversation is None:
        raise NotFoundError(f"Conversation with id '{conversation_id}' not found.", param=param)
    return conversation


def update_conversation(state: TenantState, conversation_id: str, body: dict[str, Any]) -> Conversation:
    conversation = get_conversation(state, conversation_id)
    conversation.metadata = dict(body.get("metadata") or {})
    state.log_change("%s metadata updated", conversation_id)
    return conversation


def delete_conversation(state: TenantState, conversation_id: str) -> str:
    get_conversation(state, conversation_id)
    world(state).conversations.remove(conversation_id)
    state.log_change("%s deleted", conversation_id)
    return conversation_id


def add_items(state: TenantState, conversation: Conversation, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items (parsed input items, or stored ones with ids) appended, as stored resources."""
    stored = store_items(items, state.ids)
    for item in stored:
        conversation._items.add(str(item["id"]), item)
    return stored


def get_item(state: TenantState, conversation: Conversation, item_id: str) -> dict[str, Any]:
    item = conversation._items.get(item_id) or made_for(
        state, item_id, "conversation item", lambda key: _made_item(state, conversation, key))
    if item is None:
        raise NotFoundError(f"Item with id '{item_id}' not found.", param="item_id")
    return item


def _made_item(state: TenantState, conversation: Conversation, item_id: str) -> dict[str, Any]:
    [item] = add_items(state, conversation, [{**parse_input("Hello")[0], "id": item_id}])
    return item


def delete_item(state: TenantState, conversation: Conversation, item_id: str) -> Conversation:
    get_item(state, conversation, item_id)
    conversation._items.remove(item_id)
    state.log_change("%s: item %s deleted", conversation.id, item_id)
    return conversation


def resolve_references(state: TenantState, items: list[dict[str, Any]], param: str = "input") -> list[dict[str, Any]]:
    """``item_reference`` items replaced by the items they name (an output or input item of a stored
    response, or an item of a conversation); an id the tenant does not hold is the live API's 400."""
    if not any(item.get("type") == "item_reference" for item in items):
        return items
    known: dict[str, dict[str, Any]] = {}
    objects = world(state)
    for response in objects.responses:
        known.update((str(found["id"]), found) for found in [*response._history, *response.output] if "id" in found)
    for conversation in objects.conversations:
        known.update((str(found["id"]), found) for found in conversation._items)
    resolved = []
    for index, item in enumerate(items):
        if item.get("type") != "item_reference":
            resolved.append(item)
            continue
        found = known.get(str(item.get("id")))
        if found is None:
            raise InvalidRequestError(f"Item with id '{item.get('id')}' not found.", param=f"{param}[{index}]",
                                      code="invalid_value")
        resolved.append(dict(found))
    return resolved


def history(conversation: Conversation) -> list[dict[str, Any]]:
    """The conversation's items, oldest first: the context of a response created in it."""
    return list(conversation._items)

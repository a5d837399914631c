"""Ordered object collections with the API's cursor pagination.

Objects are kept in creation order, which is also ``created_at`` order (the fake
clock only moves forward), so ``order=asc|desc`` with ``after``/``before`` cursors
needs no sorting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fakeopenai.core.errors import InvalidRequestError, not_found

T = TypeVar("T")


def _id(item: Any) -> str:
    """What a page orders and cursors by, unless told: the item's ``id``."""
    return item.id


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    data: list[T]
    has_more: bool


@dataclass(frozen=True, slots=True)
class PageQuery:
    limit: int = 20
    order: str = "desc"
    after: str | None = None
    before: str | None = None


class Collection(Generic[T]):
    """Objects by id, in creation order."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[str, T] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items.values()))

    def add(self, object_id: str, item: T) -> T:
        self._items[object_id] = item
        return item

    def get(self, object_id: str) -> T | None:
        return self._items.get(object_id)

    def require(self, object_id: str, kind: str, *, param: str | None = None) -> T:
        """The object, or the API's 404: ``No run found with id 'run_x'.``"""
        item = self._items.get(object_id)
        if item is None:
            raise not_found(kind, object_id, param=param)
        return item

    def remove(self, object_id: str) -> T | None:
        return self._items.pop(object_id, None)

    def last(self) -> T | None:
        if not self._items:
            return None
        return self._items[next(reversed(self._items))]

    def page(self, query: PageQuery, *, where: Callable[[T], bool] | None = None,
             id_of: Callable[[T], str] = _id) -> Page[T]:
        """One page as the API returns it.

        ``after``/``before`` are object ids; an id that is not in the list is a 400
        naming the parameter, as the live API does.
        """
        ids = list(self._items) if query.order == "asc" else list(reversed(self._items))
        if where is not None:
            ids = [i for i in ids if where(self._items[i])]
        start, stop = 0, len(ids)
        if query.after is not None:
            start = _cursor_index(ids, query.after, "after") + 1
        if query.before is not None:
            stop = _cursor_index(ids, query.before, "before")
        if query.before is not None and query.after is None:
            # Walking backwards: the page is the `limit` items just before the cursor.
            first = max(stop - query.limit, start)
            return Page([self._items[i] for i in ids[first:stop]], has_more=first > start)
        window = ids[start:stop]
        return Page([self._items[i] for i in window[: query.limit]], has_more=len(window) > query.limit)


def _cursor_index(ids: list[str], cursor: str, param: str) -> int:
    try:
        return ids.index(cursor)
    except ValueError:
        raise InvalidRequestError(
            f"Invalid '{param}': no object with id '{cursor}' in this list.", param=param) from None

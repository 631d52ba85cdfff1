"""A process's bounded memos: keep the last *size* keys used, forget the least recently used."""

from collections import OrderedDict

from flask import Flask


class LRU(OrderedDict):
    """An ordered dict of at most :attr:`size` entries, in order of last use."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def recall(self, key):
        """The value kept for *key* (now the most recently used), or None."""
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def keep(self, key, value):
        """Keep *value* for *key*, dropping the least recently used entry past :attr:`size`; returns *value*."""
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)
        return value


def app_lru(app: Flask, name: str, size: int) -> LRU:
    """The memo *name* of *app* in this process (made on first use); its size is read on every call."""
    memo = app.extensions.get(name)
    if memo is None:
        memo = app.extensions[name] = LRU(size)
    memo.size = size
    return memo

"""The chapter registry: every sub-package here that defines `CHAPTER` is a chapter.

Adding a chapter means adding its folder here, its notebook and its data; everything else (the
scenario schema, the build, the summary, the cache, the bench, the claims vocabulary, the tests)
reads this registry.
"""

from __future__ import annotations

import importlib
import pkgutil

from deepstrike.chapter import Chapter


def discover() -> tuple[Chapter, ...]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        chapter = getattr(module, "CHAPTER", None)
        if not isinstance(chapter, Chapter):
            raise RuntimeError(f"{module.__name__} defines no CHAPTER")
        if chapter.name != info.name:
            raise RuntimeError(f"{module.__name__}: CHAPTER.name must be {info.name!r}")
        found.append(chapter)
    orders = [c.order for c in found]
    if len(set(orders)) != len(orders):
        raise RuntimeError("two chapters share one order number")
    return tuple(sorted(found, key=lambda c: c.order))


CHAPTERS: tuple[Chapter, ...] = discover()

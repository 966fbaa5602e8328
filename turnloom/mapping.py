"""How heavy steps fan out: a *mapper* applies a function to items, results in input order.

A mapper is called as ``mapper(fn, items, shared=(a, b))`` and returns
``[fn(item, a, b) for item in items]``. :func:`local_map` does exactly that in this
process; :func:`turnloom.executors_ray.ray_map` does it on Ray tasks (``shared`` goes
to the object store once). Library code that can split its work (the tool-graph
build) takes an optional mapper and never imports Ray itself; ``fn`` must be a
module-level function so that remote workers can import it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

__all__ = ["Mapper", "Packed", "local_map"]

T = TypeVar("T")
R = TypeVar("R")


class Mapper(Protocol):
    """``mapper(fn, items, shared=...) == [fn(item, *shared) for item in items]``."""

    def __call__(self, fn: Callable[..., R], items: Sequence[T], *, shared: Sequence[Any] = ()) -> list[R]: ...


def local_map(fn: Callable[..., R], items: Sequence[T], *, shared: Sequence[Any] = ()) -> list[R]:
    """The mapper that runs everything here, one item after the other."""
    return [fn(item, *shared) for item in items]


class Packed:
    """A large object that every task of a mapper needs: pickled once into a byte array.

    Through Ray's object store a numpy byte array travels without copies, and
    :meth:`get` unpickles it once per process (later tasks in the same worker reuse
    it), instead of once per task as a plain shared argument would be.
    """

    _cache: dict[str, Any] = {}

    def __init__(self, obj: Any) -> None:
        import hashlib
        import pickle

        import numpy as np

        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        self.key = hashlib.blake2b(data, digest_size=16).hexdigest()
        self.data = np.frombuffer(data, dtype=np.uint8)
        Packed._cache = {self.key: obj}  # the packing process already has it

    def get(self) -> Any:
        import pickle

        if self.key not in Packed._cache:
            Packed._cache = {self.key: pickle.loads(self.data.tobytes())}  # keep only the latest
        return Packed._cache[self.key]

"""An object's state as JSON and back, exactly: the storage format of Python-class backends.

:func:`encode_state` turns an instance into JSON data that :func:`decode_state` turns back
into an equal instance. Every attribute of the instance itself is kept (private ones too: a
current directory or a random generator is state); objects nested in it keep their public
attributes (their private ones, such as a modification time taken from the clock, are not
part of the stored state). Markers keep what plain JSON would lose:

- ``{"$dict": [[key, value], ...]}``: a dict whose keys are not plain sorted strings (the order
  and the key types survive a round trip through sorted JSON);
- ``{"$tuple": [...]}``, ``{"$set": [...]}``, ``{"$float": "nan"}``;
- ``{"$datetime": iso}``, ``{"$date": iso}``, ``{"$time": iso}``;
- ``{"$random": [version, state, gauss]}`` for a ``random.Random``;
- ``{"$obj": "module:Qualname", "$id": n, "$attrs": {...}}`` for a nested object, and
  ``{"$ref": n}`` for a later reference to it (shared objects and cycles stay shared).

A value of any other type cannot be stored: :class:`UnserializableState` names where it is.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import math
import random
from typing import Any

__all__ = ["UnserializableState", "decode_state", "encode_state"]


class UnserializableState(ValueError):
    """A value in an instance's state has no JSON form."""


def _plain_keys(d: dict[Any, Any]) -> bool:
    keys = list(d)
    return all(isinstance(k, str) and not k.startswith("$") for k in keys) and keys == sorted(keys)


class _Encoder:
    def __init__(self) -> None:
        self.ids: dict[int, int] = {}
        self.keep: list[Any] = []  # keeps encoded objects alive so that their ids stay unique
        self.active: set[int] = set()

    def value(self, v: Any, where: str) -> Any:
        if v is None or isinstance(v, (bool, int, str)):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else {"$float": repr(v)}
        if isinstance(v, _dt.datetime):
            return {"$datetime": v.isoformat()}
        if isinstance(v, _dt.date):
            return {"$date": v.isoformat()}
        if isinstance(v, _dt.time):
            return {"$time": v.isoformat()}
        if type(v) is random.Random:
            version, internal, gauss = v.getstate()
            return {"$random": [version, list(internal), gauss]}
        if isinstance(v, (list, tuple, set, frozenset, dict)):
            if id(v) in self.active:
                raise UnserializableState(f"{where} contains itself")
            self.active.add(id(v))
            try:
                return self._container(v, where)
            finally:
                self.active.discard(id(v))
        return self._object(v, where)

    def _container(self, v: Any, where: str) -> Any:
        if isinstance(v, list):
            return [self.value(x, f"{where}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, tuple):
            return {"$tuple": [self.value(x, f"{where}[{i}]") for i, x in enumerate(v)]}
        if isinstance(v, (set, frozenset)):
            items = [self.value(x, f"{where}{{...}}") for x in v]
            return {"$set": sorted(items, key=repr)}
        if _plain_keys(v):
            return {k: self.value(x, f"{where}[{k!r}]") for k, x in v.items()}
        return {"$dict": [[self.value(k, f"{where} key {k!r}"), self.value(x, f"{where}[{k!r}]")]
                          for k, x in v.items()]}

    def _object(self, v: Any, where: str) -> Any:
        cls = type(v)
        attrs = getattr(v, "__dict__", None)
        if not isinstance(attrs, dict) or "<locals>" in cls.__qualname__ or cls.__module__ == "builtins":
            raise UnserializableState(f"{where} holds a {cls.__module__}.{cls.__qualname__}, which has no JSON form")
        if id(v) in self.ids:
            return {"$ref": self.ids[id(v)]}
        n = len(self.ids) + 1
        self.ids[id(v)] = n
        self.keep.append(v)
        public = {k: attrs[k] for k in sorted(attrs) if not k.startswith("_")}
        return {"$obj": f"{cls.__module__}:{cls.__qualname__}", "$id": n,
                "$attrs": {k: self.value(x, f"{where}.{k}") for k, x in public.items()}}


def encode_state(instance: Any) -> dict[str, Any]:
    """JSON data for every attribute of ``instance``; raises :class:`UnserializableState`."""
    attrs = getattr(instance, "__dict__", None)
    if not isinstance(attrs, dict):
        raise UnserializableState(f"a {type(instance).__qualname__} keeps no attributes that can be stored")
    enc = _Encoder()
    enc.ids[id(instance)] = 0
    enc.keep.append(instance)
    return {k: enc.value(attrs[k], k) for k in sorted(attrs)}


def _resolve(ref: str) -> type[Any]:
    module, _, qualname = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise UnserializableState(f"{ref} is not a class")
    return obj


def _blank(cls: type[Any]) -> Any:
    """An instance of ``cls`` whose ``__init__`` has not run."""
    new: Any = cls.__new__
    return new(cls)


class _Decoder:
    def __init__(self, root: Any) -> None:
        self.objects: dict[int, Any] = {0: root}

    def value(self, v: Any) -> Any:
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            (tag, body), = v.items()
            if tag == "$ref":
                return self.objects[body]
            if tag == "$dict":
                return {self.value(k): self.value(x) for k, x in body}
            if tag == "$tuple":
                return tuple(self.value(x) for x in body)
            if tag == "$set":
                return {self.value(x) for x in body}
            if tag == "$float":
                return float(body)
            if tag == "$datetime":
                return _dt.datetime.fromisoformat(body)
            if tag == "$date":
                return _dt.date.fromisoformat(body)
            if tag == "$time":
                return _dt.time.fromisoformat(body)
            if tag == "$random":
                rng = random.Random()
                rng.setstate((body[0], tuple(body[1]), body[2]))
                return rng
        if "$obj" in v:
            cls = _resolve(v["$obj"])
            obj = _blank(cls)
            self.objects[v["$id"]] = obj
            obj.__dict__.update({k: self.value(x) for k, x in v["$attrs"].items()})
            return obj
        return {k: self.value(x) for k, x in v.items()}


def decode_state(cls: type[Any], state: dict[str, Any]) -> Any:
    """A new instance of ``cls`` (its ``__init__`` not run) with the attributes ``state`` encodes."""
    instance = _blank(cls)
    dec = _Decoder(instance)
    instance.__dict__.update({k: dec.value(x) for k, x in state.items()})
    return instance

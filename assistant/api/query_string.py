"""A query string parameter given twice is refused unless the route takes a list there.

Starlette keeps every value of ``?folder=a&folder=b``, and FastAPI silently keeps the last one for a parameter
that takes a single value: the caller would get results filtered on a folder it may not have meant. The
OpenAPI document promises a single string there, so a repeat is an invalid request (422), as any other.
"""

from __future__ import annotations

import types
import typing

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

SEQUENCES = (list, tuple, set, frozenset)


def takes_several(annotation: object) -> bool:
    """Whether a parameter's annotation accepts several values (``list[str]``, ``list[str] | None``…)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return takes_several(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(takes_several(member) for member in typing.get_args(annotation))
    return origin in SEQUENCES or annotation in SEQUENCES


def query_parameters(route: APIRoute) -> dict[str, bool]:
    """Each query parameter of a route, with whether it takes several values (a Pydantic query model is opened)."""
    parameters: dict[str, bool] = {}
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        pending.extend(dependant.dependencies)
        for field in dependant.query_params:
            annotation = field.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                for name, inner in annotation.model_fields.items():
                    parameters[inner.alias or name] = takes_several(inner.annotation)
            else:
                parameters[field.alias] = takes_several(annotation)
    return parameters


async def one_value_per_parameter(request: Request) -> None:
    """Refuse, with a French message, a single-valued query parameter that the query string repeats (the route's
    parameters are only read when some name repeats: most requests pay one comparison)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or len(request.query_params.multi_items()) == len(request.query_params):
        return
    repeated = [name for name, several in query_parameters(route).items()
                if not several and len(request.query_params.getlist(name)) > 1]
    if repeated:
        raise RequestValidationError([{"type": "repeated_parameter", "loc": ("query", name),
                                       "input": request.query_params.getlist(name)} for name in sorted(repeated)])

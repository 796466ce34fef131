"""API routes that answer in one trip to the thread pool.

FastAPI runs a plain `def` endpoint on the thread pool, then validates what it returned against
the route's response model in a second trip to the pool, and serialises it on the event loop.
Under load each trip queues for one of the pool's few threads (Settings.api_threads), behind
every request that arrived meanwhile: an API read waited for a thread twice where a page (which
returns its own Response) waited once. A JsonRoute validates and serialises in the endpoint's
own thread, as FastAPI would (the same model, the route's exclude_none and aliases, its status
code), and hands FastAPI a finished Response; the declared model still documents the route. A
handler marked `@long_running` (api/threads.py) is answered on its own threads the same way.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from fastapi import Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError

from api.threads import long_running


class JsonRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self._adapter: TypeAdapter | None = None
        handler = getattr(endpoint, "runs_long", None)
        if handler is not None:  # api/threads.long_running: answered on the long-running threads, not the loop
            endpoint = long_running(self._answering(handler))
        elif not inspect.iscoroutinefunction(endpoint):  # an async endpoint runs on the loop: no trip to save
            endpoint = self._answering(endpoint)
        super().__init__(path, endpoint, **kwargs)
        if self.response_model is not None and isinstance(self.response_class, DefaultPlaceholder):
            self._adapter = TypeAdapter(self.response_model)

    def _answering(self, endpoint: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
        def answered(*args: Any, **kwargs: Any) -> Any:
            return self.answer(endpoint(*args, **kwargs))
        return answered

    def answer(self, content: Any) -> Any:
        """The endpoint's return value as the JSON response FastAPI would make of it; a Response, or
        content of a route without a model, as it is."""
        if self._adapter is None or isinstance(content, Response):
            return content
        try:
            value = self._adapter.validate_python(content, from_attributes=True)
        except ValidationError as exc:
            raise ResponseValidationError(errors=exc.errors(include_url=False), body=content) from exc
        body = self._adapter.dump_json(value, by_alias=self.response_model_by_alias,
                                       exclude_unset=self.response_model_exclude_unset,
                                       exclude_defaults=self.response_model_exclude_defaults,
                                       exclude_none=self.response_model_exclude_none,
                                       include=self.response_model_include, exclude=self.response_model_exclude)
        return Response(body, status_code=self.status_code or 200, media_type="application/json")

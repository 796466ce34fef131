"""Measurement ingest: a batch of measurement objects (the CLI's JSON format, docs/measurements.md),
validated exactly like `atlas-match ingest measurements`; valid items land, invalid ones are listed."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request

from api.deps import Ctx, require
from api.json_route import JsonRoute
from api.models import IngestOut
from api.models import ObservationIn
from api.routes.clients import KEY
from api.services.measurements import ingest_measurement_batch, record_observation
from api.threads import long_running

router = APIRouter(route_class=JsonRoute, tags=["measurements"])
MAX_ITEMS = 1000
EXAMPLE = [{"client_key": "K-000123", "instrument": "abc", "measured_at": "2024-05-02",
            "administered_by": "coach C-17", "scores": {"samenwerken": 7}, "blocks": {"cluster": "G2"},
            "postcode": "3511 AB"}]


@router.post("/measurements", response_model=IngestOut, summary="Ingest a batch of measurements")
@long_running
def ingest_measurements(request: Request,
                        items: list[dict[str, Any]] = Body(..., min_length=1, max_length=MAX_ITEMS, examples=[EXAMPLE]),
                        ctx: Ctx = Depends(require("measurement_ingest"))):
    """Per item: `landed`, `unchanged` (already stored) or `rejected` with every problem (JSON pointer
    into the body, field, reason). A coach or CTC advisor may ingest only for clients assigned to them.
    A correction is a new measurement; the old one is kept."""
    result = ingest_measurement_batch(request.app.state, ctx.driver, ctx.database, ctx.settings, ctx.principal,
                                      items)
    request.app.state.metrics.ingest("measurements", result)
    return result


@router.post("/clients/{key}/observations", response_model=IngestOut,
             summary="Record a coach observation of one competency (waarneming coach)")
def observe(request: Request, body: ObservationIn, key: str = KEY, ctx: Ctx = Depends(require("measurement_ingest"))):
    """The level at which the coach saw the client show one competency, on the `waarneming` scale
    (1-5; scales: docs/instrument-profiles.md), dated today unless `observed_on` is given and
    attributed to the caller. It lands as a measurement of its own source through the same ingest,
    with the same answer as POST /measurements."""
    result = record_observation(request.app.state, ctx.driver, ctx.database, ctx.settings, ctx.principal, key,
                                body.scale, body.score, body.observed_on)
    request.app.state.metrics.ingest("observations", result)
    return result

"""Measurement ingest: a batch of measurement objects (the CLI's JSON format, docs/measurements.md),
validated exactly like `atlas-match ingest measurements`; valid items land, invalid ones are listed."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request

from api.deps import Ctx, require
from api.models import IngestOut
from api.services.measurements import ingest_measurement_batch

router = APIRouter(tags=["measurements"])
MAX_ITEMS = 1000
EXAMPLE = [{"client_key": "K-000123", "instrument": "abc", "measured_at": "2024-05-02",
            "administered_by": "coach C-17", "scores": {"samenwerken": 7}, "blocks": {"cluster": "G2"},
            "postcode": "3511 AB"}]


@router.post("/measurements", response_model=IngestOut, summary="Ingest a batch of measurements")
def ingest_measurements(request: Request,
                        items: list[dict[str, Any]] = Body(..., min_length=1, max_length=MAX_ITEMS, examples=[EXAMPLE]),
                        ctx: Ctx = Depends(require("measurement_ingest"))):
    """Per item: `landed`, `unchanged` (already stored) or `rejected` with every problem (JSON pointer
    into the body, field, reason). A coach or CTC advisor may ingest only for clients assigned to them.
    A correction is a new measurement; the old one is kept."""
    return ingest_measurement_batch(request.app.state.cache, ctx.driver, ctx.database, ctx.settings, ctx.principal,
                                    items)

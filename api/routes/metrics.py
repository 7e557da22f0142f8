"""GET /metrics: this process's metrics in Prometheus' text format (see api/metrics.py); read
on the loopback interface, or from anywhere with KB_METRICS_TOKEN."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ContextDep, bearer_token
from api.metrics import check_metrics_reader

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, context: ContextDep) -> Response:
    client = request.client.host if request.client else None
    check_metrics_reader(context.settings.metrics_token, client, bearer_token(request))
    body = generate_latest(context.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)

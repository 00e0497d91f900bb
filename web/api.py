"""REST routes: health and the catalogue of vendors and languages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pipeline.languages import LANGUAGES
from pipeline.runner import Pipeline

__all__ = ["build_router"]


def build_router(pipeline: Pipeline) -> APIRouter:
    """Routes over ``pipeline``'s registry and settings."""
    router = APIRouter()

    @router.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        """Liveness: the process is up."""
        return {"status": "ok"}

    @router.get("/v1/languages", tags=["catalogue"])
    def languages() -> dict[str, Any]:
        """Every language code with its English and native names."""
        return {"languages": [{"code": c, "name": n, "native_name": nn}
                              for c, (n, nn) in LANGUAGES.items()]}

    @router.get("/v1/vendors", tags=["catalogue"])
    def vendors() -> dict[str, Any]:
        """Every vendor: roles, models, languages, and whether it can run here (and why not)."""
        registry, settings = pipeline.registry, pipeline.settings
        rows = []
        for info in registry:
            state = registry.availability(info, {}, settings)
            rows.append({
                "id": info.id, "name": info.display_name, "label": info.label,
                "roles": sorted(r.value for r in info.roles),
                "models": {r.value: list(m) for r, m in info.models.items()},
                "languages": {r.value: sorted(l) if l is not None else "any"
                              for r, l in info.languages.items()},
                "key_variable": info.key_variable,
                "runnable": state.runnable,
                "why_not": "" if state.runnable else state.reason,
            })
        return {"vendors": rows}

    return router

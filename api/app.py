"""The FastAPI application: routers per resource, the error shape, the store at startup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.access_log import AccessLog, ensure_handler
from api.docs import install_docs, install_openapi
from api.errors import install_error_handlers
from api.limits import BodyLimit
from api.routers import demandes, evenements, quotas, rapports, referentiel, sante, vacances
from domain.application import HlmApplication
from infra.persistence.store import open_application
from infra.settings import Settings
from projections.service import Projections


def create_app(settings: Settings | None = None,
               application: HlmApplication | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = application is None
        app.state.application = application or open_application(settings)
        app.state.projections = Projections(app.state.application, settings)
        app.state.application.injonction_en_cours = app.state.projections.injonction_en_cours
        if settings.projector_in_process:
            app.state.projections.start_in_thread()
        try:
            yield
        finally:
            app.state.projections.stop()
            if owned:
                app.state.application.close()

    app = FastAPI(
        title="hlm: social-housing allocation lifecycle",
        version="1",
        description="Public HTTP contract v1. Errors: {error: {code, message, rule, details}}.",
        lifespan=lifespan,
        # Served by api.docs from the application's own assets, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    _ = settings.secret  # a service that cannot check tokens must not start (SecretInvalide)
    if application is not None:
        app.state.application = application
    install_error_handlers(app)
    if settings.access_log:
        ensure_handler()
    app.add_middleware(BodyLimit)
    # Outermost: even a refused body is logged.
    app.add_middleware(AccessLog, enabled=settings.access_log)
    app.include_router(referentiel.router)
    app.include_router(demandes.router)
    app.include_router(vacances.router)
    app.include_router(quotas.router)
    app.include_router(quotas.statistiques)
    app.include_router(rapports.router)
    app.include_router(sante.router)
    app.include_router(evenements.router)
    install_docs(app)
    install_openapi(app)
    return app

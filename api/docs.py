"""The OpenAPI document as the contract says it, and its pages served without any CDN.

`/docs` (Swagger UI) and `/redoc` (ReDoc) load their scripts, stylesheet and icon from this
application: the assets are those the package `fastapi-offline` ships (Swagger UI 5 and
ReDoc 2 bundles), mounted at ASSETS_URL. The pages reference no other host, so they work on
a network without Internet access.

The document declares every error in the contract's shape (api.responses.Erreur): the
routers list them, and `install_openapi` replaces whatever validation error schema the
framework would still add (`HTTPValidationError`) by the contract's, which is what
api/errors.py answers.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.responses import Erreur

ASSETS_URL = "/docs-assets"
ASSETS_PACKAGE = ("fastapi_offline", "static")
DOCS_URL, REDOC_URL = "/docs", "/redoc"
REF = "#/components/schemas/"
FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError")


def install_docs(app: FastAPI) -> None:
    """The two documentation pages and their assets (the app is built with docs_url=None
    and redoc_url=None: FastAPI's own pages load them from a CDN)."""
    app.mount(ASSETS_URL, StaticFiles(packages=[ASSETS_PACKAGE]), name="docs-assets")

    def urls(request: Request) -> tuple[str, str]:
        root = request.scope.get("root_path", "").rstrip("/")
        return f"{root}{app.openapi_url}", f"{root}{ASSETS_URL}"

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        openapi_url, assets = urls(request)
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title}: Swagger UI",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            oauth2_redirect_url=None,
            # No badge asking an online validator about the document.
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})})

    @app.get(REDOC_URL, include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        openapi_url, assets = urls(request)
        return get_redoc_html(openapi_url=openapi_url, title=f"{app.title}: ReDoc",
                              redoc_js_url=f"{assets}/redoc.standalone.js",
                              redoc_favicon_url=f"{assets}/favicon.png",
                              with_google_fonts=False)


def _contract_errors(node: Any) -> None:
    """Every reference to the framework's validation schemas becomes one to Erreur."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix(REF) in FRAMEWORK_SCHEMAS:
            node["$ref"] = REF + Erreur.__name__
        for value in node.values():
            _contract_errors(value)
    elif isinstance(node, list):
        for value in node:
            _contract_errors(value)


def install_openapi(app: FastAPI) -> None:
    """FastAPI's document, with the contract's error schema for validation errors."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        if any(name in schemas for name in FRAMEWORK_SCHEMAS):
            for name in FRAMEWORK_SCHEMAS:
                schemas.pop(name, None)
            _contract_errors(document["paths"])
            if Erreur.__name__ not in schemas:
                erreur = Erreur.model_json_schema(ref_template=REF + "{model}",
                                                  mode="serialization")
                schemas.update(erreur.pop("$defs", {}))
                schemas[Erreur.__name__] = erreur
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]

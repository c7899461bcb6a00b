"""create_app(): the only wiring file — plugins, routes, auth and error handling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import cast

from advanced_alchemy.extensions.litestar import AsyncSessionConfig, SQLAlchemyPlugin
from litestar import Controller, Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp

from backend.domains.auth.principals import SESSION_INFO_KEY, Principals, follow_user_changes
from backend.kernel.config import Settings, get_settings
from backend.kernel.db import RequestSessions, commit_before_send, make_engine, make_sessionmaker
from backend.kernel.errors import exception_handlers
from backend.kernel.logs import RequestIdMiddleware
from backend.kernel.outbox import RELAY_KEY, Relay
from backend.kernel.paging import paging
from backend.kernel.queue import queue_pool
from backend.kernel.schema import DecimalAsString, ModelResponse, StrictJsonBodies, StrictSchemas
from backend.server import tables  # noqa: F401 - registers every table
from backend.server.wiring import connect_reactions
from backend.web.admin.clients import ClientPages
from backend.web.admin.contracts import ContractPages
from backend.web.admin.engagements import EngagementPages
from backend.web.admin.invoices import InvoicePages
from backend.web.admin.literacy import LiteracyPages
from backend.web.admin.pages import PageController
from backend.web.admin.pilots import PilotPages
from backend.web.admin.privacy import PrivacyPages
from backend.web.admin.sending import SendingPages
from backend.web.admin.webhooks import WebhookPages
from backend.web.api.audit import AuditController
from backend.web.api.auth import AuthController, UserController
from backend.web.api.clients import AssessmentController, ClientController, ContactController
from backend.web.api.deliverables import ArtefactController, DeliverableController
from backend.web.api.digests import DeliveryController, DigestController, JobController
from backend.web.api.documents import DocumentController, EngagementDocumentController
from backend.web.api.engagements import EngagementController, StatusUpdateController
from backend.web.api.health import HealthController
from backend.web.api.invoices import InvoiceController
from backend.web.api.legal import LegalController
from backend.web.api.literacy import (
    AISystemController,
    AISystemUserController,
    CertificateController,
    ClientLiteracyController,
    GuidelineController,
    ParticipantController,
    WorkshopLiteracyController,
)
from backend.web.api.pilots import (
    EngagementFunnelController,
    FunnelController,
    IdeaController,
    KpiController,
    MeasurementController,
    MeasurementPlanController,
    PilotController,
    RunCostController,
    SubProcessorController,
    TimingRoundController,
)
from backend.web.api.portal import PORTAL_API_CONTROLLERS
from backend.web.api.privacy import (
    ErasureController,
    LegalHoldController,
    PrivacyController,
    PrivacyRequestController,
    RecordController,
    RetentionController,
)
from backend.web.api.problem_docs import ProblemResponses
from backend.web.api.timesheets import CostRateController, TimeEntryController
from backend.web.api.webhooks import WebhookDeliveryController, WebhookSubscriptionController
from backend.web.api.workshops import AttendeeController, WorkshopController
from backend.web.auth import AUTH_COOKIE, build_auth
from backend.web.error_pages import with_error_pages
from backend.web.portal.literacy import ParticipantPages, PortalLiteracyPages
from backend.web.portal.pages import PortalPages, SharePages
from backend.web.portal.privacy import PortalPrivacyPages
from backend.web.portal.timing import TimingPages
from backend.web.security import JsonRequest, SecurityMiddleware

WEB_DIR = Path(__file__).parents[1] / "web"

# The admin pages and the portal pages, served outside the API's /api/v1 prefix.
PAGE_CONTROLLERS: list[type[Controller]] = [
    PageController,
    ClientPages,
    EngagementPages,
    ContractPages,
    InvoicePages,
    PilotPages,
    SendingPages,
    PortalPages,
    PortalPrivacyPages,
    SharePages,
    ParticipantPages,
    TimingPages,
    PortalLiteracyPages,
    LiteracyPages,
    PrivacyPages,
    WebhookPages,
]

API_CONTROLLERS: list[type[Controller]] = [
    AuthController,
    UserController,
    ClientController,
    ContactController,
    AssessmentController,
    ParticipantController,
    AISystemController,
    AISystemUserController,
    ClientLiteracyController,
    EngagementController,
    StatusUpdateController,
    WorkshopController,
    AttendeeController,
    WorkshopLiteracyController,
    CertificateController,
    GuidelineController,
    IdeaController,
    PilotController,
    KpiController,
    MeasurementController,
    SubProcessorController,
    TimingRoundController,
    MeasurementPlanController,
    RunCostController,
    FunnelController,
    EngagementFunnelController,
    WebhookSubscriptionController,
    WebhookDeliveryController,
    DeliverableController,
    ArtefactController,
    TimeEntryController,
    CostRateController,
    DocumentController,
    InvoiceController,
    LegalController,
    EngagementDocumentController,
    DigestController,
    DeliveryController,
    JobController,
    AuditController,
    PrivacyController,
    ErasureController,
    LegalHoldController,
    PrivacyRequestController,
    RetentionController,
    RecordController,
    *PORTAL_API_CONTROLLERS,
]


WORKER_READY_SECONDS = 5


@asynccontextmanager
async def _embedded_worker(settings: Settings) -> AsyncIterator[None]:
    """The job worker inside the web process (`desk run`), stopped in the app's shutdown: the
    server re-raises SIGTERM after the lifespan ends, so nothing after that would run."""
    from backend.server.worker import make_worker

    worker = make_worker(settings, handle_signals=False)
    task = asyncio.create_task(worker.async_run())
    # The server says it serves once the worker can render at once (a few hundred ms), so the
    # first document does not wait for the render threads to warm up; without Redis it does not wait long.
    await worker.ready(WORKER_READY_SECONDS)
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await worker.close()


def create_app(settings: Settings | None = None, *, embedded_worker: bool = False) -> Litestar:
    settings = settings or get_settings()
    connect_reactions()
    engine = make_engine(settings.database_url, echo=settings.sql_echo)
    principals = Principals()
    relay = Relay(recheck_seconds=settings.outbox_recheck_seconds)
    relay.maker = make_sessionmaker(engine, info={SESSION_INFO_KEY: principals, RELAY_KEY: relay})
    db_config = RequestSessions(
        engine_instance=engine,
        session_maker=relay.maker,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        set_default_exception_handler=False,
    )
    # Commits on 2xx and 3xx (pages answer a successful form with a redirect); a failed commit
    # becomes the answer.
    db_config.before_send_handler = commit_before_send(db_config.session_scope_key)
    auth = build_auth(settings, db_config, principals)

    @asynccontextmanager
    async def user_changes(_: Litestar) -> AsyncIterator[None]:
        if engine.dialect.name != "postgresql":
            yield
            return
        feed = asyncio.create_task(follow_user_changes(settings.database_url, principals))
        try:
            yield
        finally:
            feed.cancel()
            # Bounded: shutting down must not wait on the database.
            await asyncio.wait([feed], timeout=5)

    @asynccontextmanager
    async def job_queue(app: Litestar) -> AsyncIterator[None]:
        async with queue_pool(settings) as pool:
            app.state.queue = relay.pool = pool
            try:
                if embedded_worker:
                    async with _embedded_worker(settings):
                        yield
                else:
                    yield
            finally:
                await relay.settle()
                relay.pool = None

    api = Router(path="/api/v1", route_handlers=API_CONTROLLERS, dependencies={"paging": Provide(paging)})
    static = create_static_files_router(path="/static", directories=[WEB_DIR / "static"], include_in_schema=False)
    app = Litestar(
        route_handlers=[api, HealthController, static, *PAGE_CONTROLLERS],
        template_config=TemplateConfig(directory=WEB_DIR / "templates", engine=JinjaTemplateEngine),
        # Forms of the admin UI carry a CSRF token; API clients authenticate with a bearer
        # token (or the SameSite=Strict cookie) and are not subject to it.
        csrf_config=CSRFConfig(
            # "__Host-": over HTTPS no other site under the same domain can set it for us.
            secret=settings.secret_key,
            cookie_name="desk_csrf" if settings.env == "dev" else "__Host-desk_csrf",
            cookie_secure=settings.env != "dev",
            cookie_path="/",
            cookie_samesite="strict",
            exclude=["^/api/", "^/schema", "^/health", "^/ready", "^/static/"],
        ),
        plugins=[
            SQLAlchemyPlugin(config=db_config),
            StrictJsonBodies(),
            StrictSchemas(),
            ProblemResponses(),
            DecimalAsString(),
        ],
        request_class=JsonRequest,
        on_app_init=[auth.on_app_init],
        lifespan=[user_changes, job_queue],
        exception_handlers=with_error_pages(exception_handlers),
        response_class=ModelResponse,
        # Logging is set up once per process by backend.kernel.logs (JSON, our access log); Litestar's
        # default config would replace it and bring back the server's own access log with its
        # unmasked paths.
        logging_config=None,
        type_encoders={Decimal: str},
        openapi_config=OpenAPIConfig(
            title="Engagement Desk API",
            version="1",
            description="Engagements, workshops, pilots with measured savings, deliverables and documents.",
            path="/schema",
            # Swagger UI from the app's own files (static/swagger/), so the docs work offline.
            render_plugins=[
                SwaggerRenderPlugin(
                    js_url="/static/swagger/swagger-ui-bundle.js",
                    css_url="/static/swagger/swagger-ui.css",
                    standalone_preset_js_url="/static/swagger/swagger-ui-standalone-preset.js",
                    favicon="<link rel='icon' href='/static/favicon.svg' type='image/svg+xml'>",
                )
            ],
            components=Components(
                security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
            ),
            security=[{"BearerToken": []}],
        ),
        debug=False,
    )
    # Around the router itself, not per route: unrouted requests (404, 405) and refusals made
    # before a handler (CSRF) get their request id, access log line and security headers too.
    app.asgi_handler = cast(  # our middlewares take the plain ASGI dict scope
        ASGIApp,
        RequestIdMiddleware(
            SecurityMiddleware(
                app.asgi_handler,
                auth_cookie=AUTH_COOKIE,
                public_url=settings.public_url,
                routes=[route for route in app.routes if isinstance(route, HTTPRoute)],
            )
        ),
    )
    app.state.auth = auth
    app.state.principals = principals
    app.state.relay = relay
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_maker = db_config.session_maker
    return app

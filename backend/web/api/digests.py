from __future__ import annotations

from typing import Annotated, Any

from arq.jobs import Job, JobStatus
from litestar import Controller, get, post
from litestar.params import PathParameter
from sqlmodel import SQLModel

from backend.domains.crud import STAFF
from backend.domains.engagements.resources import engagement_service
from backend.domains.engagements.service import refuse_week_before_start
from backend.flows.digests.models import (
    DigestQueued,
    DigestRequest,
)
from backend.flows.digests.resources import deliveries, delivery_service
from backend.flows.digests.service import plan_digest
from backend.kernel.errors import NotFound
from backend.kernel.outbox import intent
from backend.kernel.time import current_week
from backend.web.api.resource import resource_controller
from backend.web.handlers import AppRequest, DbSession, RowId, example_body, role_guard

DeliveryController = resource_controller(deliveries, delivery_service)


class DigestController(Controller):
    path = "/engagements/{engagement_id:int}/digests"
    tags = ["digests"]

    @post(
        "/",
        operation_id="send_digest_now",
        summary="Send this week's (or the given week's) digest now; recipients already served get nothing twice",
        guards=[role_guard(STAFF)],
        status_code=202,
    )
    async def send_now(
        self,
        db_session: DbSession,
        request: AppRequest,
        engagement_id: RowId,
        data: example_body(DigestRequest, {"iso_week": "2026-W48"}),  # type: ignore[valid-type]
    ) -> DigestQueued:
        engagement = await engagement_service.get(db_session, request.user, engagement_id)
        week = data.iso_week or current_week()
        refuse_week_before_start(engagement, week, given=data.iso_week is not None)
        job_id = await plan_digest(db_session, engagement_id, week)
        return DigestQueued(engagement_id=engagement_id, iso_week=week, job_id=job_id)


class JobInfo(SQLModel):
    job_id: str
    status: str
    function: str | None = None
    tries: int | None = None
    success: bool | None = None
    result: Any = None


class JobController(Controller):
    path = "/jobs"
    tags = ["jobs"]

    @get(
        "/{job_id:str}",
        operation_id="job_status",
        summary="Progress of a job: pending (waiting for the queue), queued, deferred, in_progress, complete"
        " (with its result)",
        guards=[role_guard(STAFF)],
    )
    async def status(
        self,
        db_session: DbSession,
        request: AppRequest,
        job_id: Annotated[str, PathParameter(max_length=200)],
    ) -> JobInfo:
        planned = await intent(db_session, job_id)
        if planned is not None and planned.enqueued_at is None and planned.done_at is None:
            # Accepted, and waiting for the queue (Redis was away): it will be sent.
            return JobInfo(job_id=job_id, status="pending", function=planned.function, tries=0)
        job = Job(job_id, request.app.state.queue, _queue_name=request.app.state.settings.queue_name)
        status = await job.status()
        if status == JobStatus.not_found:
            raise NotFound(f"job {job_id} not found (unknown, or its result has expired)")
        info = JobInfo(job_id=job_id, status=status.value)
        result = await job.result_info()
        if result is not None:
            info.function, info.tries, info.success = result.function, result.job_try, result.success
            info.result = result.result if result.success else repr(result.result)
        else:
            definition = await job.info()
            if definition is not None:
                info.function, info.tries = definition.function, definition.job_try
        return info

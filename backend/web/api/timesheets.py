from __future__ import annotations

from backend.domains.timesheets.resources import cost_rate_service, cost_rates, time_entries, time_entry_service
from backend.web.api.resource import resource_controller

TimeEntryController = resource_controller(time_entries, time_entry_service)
CostRateController = resource_controller(cost_rates, cost_rate_service)

"""/staff/capacity/: a coordinator starts a forecast, the task worker runs it, and the page
shows it as charts with the tables behind them; bad options are named on the form."""

from __future__ import annotations

import datetime as dt

import pytest

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.capacity import tasks
from carematch.capacity.models import CapacityRun
from carematch.measures.tests.factories import coordinator, run_due_tasks
from carematch.scheduling.tests.factories import weekday_provider

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(dt.datetime(2027, 1, 11, 14, tzinfo=dt.UTC), tick=True)]

FORM = {"days": "7", "states": "CO", "arrivals_per_day": "6", "extra_hours": "", "target": "90",
        "replications": "3", "seed": "4"}


def test_a_coordinator_starts_a_forecast_and_reads_its_charts_and_tables(client):
    weekday_provider()
    client.force_login(coordinator())
    assert "Capacity forecast" in client.get("/staff/").content.decode()
    page = client.get("/staff/capacity/")
    assert page.status_code == 200 and "No forecast has been run yet." in page.content.decode()

    started = client.post("/staff/capacity/", FORM)
    run = CapacityRun.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/staff/capacity/{run.pk}/"
    waiting = client.get(started["Location"]).content.decode()
    assert "Waiting to start" in waiting and "running in the background" in waiting

    run_due_tasks()
    run.refresh_from_db()
    assert run.status == CapacityRun.Status.FINISHED and run.result["options"]["days"] == 7
    done = client.get(f"/staff/capacity/{run.pk}/").content.decode()
    assert "Finished" in done and "First appointment within 48 hours" in done
    assert done.count("<svg") >= 4 and "Share within 48 hours by state" in done
    assert "<td>Colorado (CO)</td>" in done and "running in the background" not in done
    # The list page shows the latest finished forecast too.
    listed = client.get("/staff/capacity/").content.decode()
    assert f"/staff/capacity/{run.pk}/" in listed and "First appointment within 48 hours" in listed


def test_bad_options_are_named_on_the_form_and_nothing_starts(client):
    client.force_login(coordinator())
    answer = client.post("/staff/capacity/", {**FORM, "extra_hours": "XX:5", "states": "CO"})
    text = answer.content.decode()
    assert answer.status_code == 422 and "&#x27;XX&#x27; is not a US state code" in text
    answer = client.post("/staff/capacity/", {**FORM, "days": "400"})
    assert answer.status_code == 422 and "Days to simulate" in answer.content.decode()
    assert not CapacityRun.objects.exists()


def test_a_forecast_that_cannot_run_says_why(client):
    staff = coordinator()
    client.force_login(staff)
    client.post("/staff/capacity/", {**FORM, "arrivals_per_day": "", "from_history": "on"})
    run_due_tasks()
    run = CapacityRun.objects.get()
    assert run.status == CapacityRun.Status.FAILED and "no requests for care in the last 90 days" in run.error
    assert "could not run" in client.get(f"/staff/capacity/{run.pk}/").content.decode()


def test_the_task_runs_a_waiting_forecast_once():
    weekday_provider()
    from carematch.capacity.forecast import check_options
    from carematch.capacity.services import capacity_run_create

    options = check_options(days=3, states=["CO"], arrivals_per_day=2, from_history=False, extra_hours=[],
                            target=0.9, seed=1, replications=2)
    run = capacity_run_create(options=options, user=None)
    assert tasks.run_capacity_forecast.call(run_id=run.pk) == "finished"
    assert tasks.run_capacity_forecast.call(run_id=run.pk) == "skipped"


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER])
def test_only_coordinators_see_the_page(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get("/staff/capacity/").status_code == 403
    assert client.post("/staff/capacity/", FORM).status_code == 403

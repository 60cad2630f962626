"""`carematch import_benefits` and `carematch import_fees`: all or nothing, every problem named
by its line and column as the roster import does, and nothing written when anything is wrong."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from carematch.coverage.models import Fee, Plan

pytestmark = pytest.mark.django_db

BENEFITS_HEADER = "payer,plan_id,plan_name,copay_usd,coinsurance_pct,deductible_usd,deductible_applies,oop_max_usd"
FEES_HEADER = "payer,plan_id,cpt,allowed_usd,state"


def run(command, tmp_path, *lines, dry_run=False):
    path = tmp_path / "file.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command(command, str(path), *(["--dry-run"] if dry_run else []), stdout=out, stderr=err)
    except CommandError as exc:
        error = exc
    return out.getvalue(), err.getvalue().splitlines(), error


def stored():
    return (sorted(Plan.objects.values_list("payer", "plan_id", "name", "copay_usd", "coinsurance_pct",
                                            "deductible_usd", "deductible_applies", "oop_max_usd")),
            sorted(Fee.objects.values_list("payer", "plan_id", "cpt", "allowed_usd", "state")))


def test_good_benefits_are_loaded_and_upserted_by_payer_and_plan(tmp_path):
    out, err, error = run("import_benefits", tmp_path, BENEFITS_HEADER,
                          "aetna,AET-PPO,Aetna Open Choice PPO,30,,500,yes,4000",
                          "Cigna,CIG-20,Cigna Connect 20%,,20%,$1,no,\"$3,500.00\"")
    assert error is None and err == []
    assert out.strip() == "created 2, updated 0, unchanged 0, rejected 0"
    assert stored()[0] == [
        ("aetna", "AET-PPO", "Aetna Open Choice PPO", Decimal("30.00"), None, Decimal("500.00"), True,
         Decimal("4000.00")),
        ("cigna", "CIG-20", "Cigna Connect 20%", None, Decimal("20.00"), Decimal("1.00"), False, Decimal("3500.00")),
    ]
    out, _, error = run("import_benefits", tmp_path, BENEFITS_HEADER,
                        "aetna,AET-PPO,Aetna Open Choice PPO,35,,500,yes,4000",
                        "cigna,CIG-20,Cigna Connect 20%,,20,1.00,no,3500")
    assert error is None and out.strip() == "created 0, updated 1, unchanged 1, rejected 0"
    assert Plan.objects.get(plan_id="AET-PPO").copay_usd == Decimal("35.00")


def test_every_problem_of_a_benefits_file_is_named_by_line_and_nothing_is_written(tmp_path):
    run("import_benefits", tmp_path, BENEFITS_HEADER, "aetna,AET-PPO,Aetna Open Choice PPO,30,,500,yes,4000")
    before = stored()
    out, err, error = run(
        "import_benefits", tmp_path, BENEFITS_HEADER,
        "aetna,AET-PPO,Aetna Open Choice PPO,40,,500,yes,4000",  # a good change, not written
        "acme,A1,Acme Gold,30,,500,yes,4000",
        "aetna,AET-HMO,Aetna HMO,,,500,maybe,4000",
        "aetna,AET-X,Aetna X,30,120,-5,yes,",
        "aetna,AET-PPO,Again,30,,500,yes,4000",
    )
    assert err == [
        "line 3: payer: 'acme' is not a payer carematch knows",
        "line 4: row: copay_usd and coinsurance_pct are both empty: give one or both",
        "line 4: deductible_applies: 'maybe' must be yes or no",
        "line 5: coinsurance_pct: '120' must be a percentage from 0 to 100",
        "line 5: deductible_usd: '-5' is not a dollar amount like 30 or 30.00",
        "line 5: oop_max_usd: is required (a dollar amount, 0 when there is none)",
        "line 6: plan_id: aetna AET-PPO is also on line 2 (one row for each payer, plan_id)",
    ]
    assert out.strip() == "created 0, updated 0, unchanged 0, rejected 4 (nothing was written)"
    assert str(error) == "4 rows rejected: nothing was written. Fix them and import again"
    assert stored() == before


def test_a_wrong_header_is_refused_naming_the_columns(tmp_path):
    _out, err, error = run("import_benefits", tmp_path, "payer,plan,plan_name,copay_usd,coinsurance_pct,"
                          "deductible_usd,deductible_applies,oop_max_usd", "aetna,A,B,1,,0,no,0")
    assert err == ["line 1: plan: is not a benefits column; did you mean plan_id?",
                   "line 1: plan_id: required column is missing"]
    assert str(error) == "the header is not a benefits header: fix the columns and import again"
    assert stored() == ([], [])


def test_fees_are_loaded_for_a_plan_or_every_plan_in_a_state_or_every_state(tmp_path):
    run("import_benefits", tmp_path, BENEFITS_HEADER, "aetna,AET-PPO,Aetna Open Choice PPO,30,,500,yes,4000")
    out, err, error = run("import_fees", tmp_path, FEES_HEADER, "aetna,AET-PPO,90837,150,CO", "aetna,*,90791,180,*",
                          "aetna,*,90834,110.50,co")
    assert error is None and err == []
    assert out.strip() == "created 3, updated 0, unchanged 0, rejected 0"
    assert stored()[1] == [("aetna", "*", "90791", Decimal("180.00"), "*"),
                           ("aetna", "*", "90834", Decimal("110.50"), "CO"),
                           ("aetna", "AET-PPO", "90837", Decimal("150.00"), "CO")]


def test_every_problem_of_a_fee_schedule_is_named_by_line_and_nothing_is_written(tmp_path):
    run("import_benefits", tmp_path, BENEFITS_HEADER, "aetna,AET-PPO,Aetna Open Choice PPO,30,,500,yes,4000")
    out, err, error = run(
        "import_fees", tmp_path, FEES_HEADER,
        "aetna,*,90791,180,*",
        "aetna,AET-HMO,90837,150,CO",
        "aetna,*,9083,0,ZZ",
        "aetna,*,90791,175,*",
        "aetna,*,90837,\"1,2\",CO",
    )
    assert err == [
        "line 3: plan_id: Aetna has no plan 'AET-HMO' loaded: import it with the benefits first, or use * for "
        "every plan",
        "line 4: cpt: '9083' is not a CPT code (five digits, e.g. 90791, 90832, 90834)",
        "line 4: allowed_usd: must be more than 0",
        "line 4: state: 'ZZ' is not a US state code (the 50 states and DC) or *",
        "line 5: cpt: aetna * 90791 * is also on line 2 (one row for each payer, plan_id, cpt, state)",
        "line 6: allowed_usd: '1,2' is not a dollar amount like 30 or 30.00",
    ]
    assert out.strip() == "created 0, updated 0, unchanged 0, rejected 4 (nothing was written)"
    assert error is not None
    assert Fee.objects.count() == 0


def test_a_dry_run_writes_nothing_and_says_what_would_be_written(tmp_path):
    out, _err, error = run("import_benefits", tmp_path, BENEFITS_HEADER, "aetna,A,Aetna A,30,,0,no,1000",
                          dry_run=True)
    assert error is None
    assert out.strip() == "created 1, updated 0, unchanged 0, rejected 0 (dry run: nothing was written)"
    assert Plan.objects.count() == 0


def test_a_file_that_is_not_text_or_not_there_is_one_clear_line(tmp_path):
    (tmp_path / "bad.csv").write_bytes(BENEFITS_HEADER.encode() + b"\naetna,\xff\n")
    with pytest.raises(CommandError, match=r"is not UTF-8 text \(line 2 has the byte 0xff\)"):
        call_command("import_benefits", str(tmp_path / "bad.csv"), stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_fees", str(tmp_path / "missing.csv"), stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.parametrize("values", [
    {"copay_usd": None, "coinsurance_pct": None},
    {"coinsurance_pct": Decimal("101")},
    {"copay_usd": Decimal("-1")},
    {"deductible_usd": Decimal("-1")},
    {"plan_id": "*"},
])
def test_the_database_refuses_a_plan_that_breaks_a_rule(values):
    fields = {"payer_id": "aetna", "plan_id": "A", "name": "Aetna A", "copay_usd": Decimal(30), "coinsurance_pct": None,
              "deductible_usd": Decimal(0), "deductible_applies": False, "oop_max_usd": Decimal(1000),
              "updated_at": timezone.now(), **values}
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(**fields)


@pytest.mark.parametrize("values", [{"cpt": "9083"}, {"cpt": "abcde"}, {"state": "co"}, {"allowed_usd": Decimal(0)}])
def test_the_database_refuses_a_fee_that_breaks_a_rule(values):
    Fee.objects.create(payer_id="aetna", plan_id="*", cpt="90837", allowed_usd=Decimal(150), state="*",
                       updated_at=timezone.now())
    fields = {"payer_id": "aetna", "plan_id": "*", "cpt": "90834", "allowed_usd": Decimal(100), "state": "CO",
              "updated_at": timezone.now(), **values}
    with pytest.raises(IntegrityError), transaction.atomic():
        Fee.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Fee.objects.create(payer_id="aetna", plan_id="*", cpt="90837", allowed_usd=Decimal(160), state="*",
                           updated_at=timezone.now())


def test_the_database_refuses_a_plan_or_fee_of_a_payer_the_deployment_does_not_have():
    from django.db import connection

    now = timezone.now()
    for model, fields in ((Plan, {"plan_id": "A", "name": "Acme A", "copay_usd": Decimal(30),
                                  "deductible_usd": Decimal(0), "deductible_applies": False,
                                  "oop_max_usd": Decimal(1000)}),
                          (Fee, {"plan_id": "*", "cpt": "90837", "allowed_usd": Decimal(100), "state": "*"})):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.create(payer_id="acme", updated_at=now, **fields)
            connection.check_constraints(table_names=[model._meta.db_table])  # foreign keys are checked at commit

"""How fast the savings engine is: `python bench/savings.py`.

Builds one cycle of 30 members meeting weekly for 52 weeks (shares, social
fund, absences and their fines, a loan per member at a time with every
installment repaid when it falls due, a grant now and then, a share-out at the
end), times `coop.savings.preview` (best of 5) and prints the figure against
the target of 50 ms.

Then the indicators of a programme (coop/savings/indicators.py): a throwaway
SQLite database made by the migrations and filled by bulk inserts with 1,000
groups of ~20 members and 12 closed monthly meetings each (attendance, shares,
social fund, loans with installments and repayments, some late, grants, every
movement posted to the sg_* accounts), then the indicators of all groups as
of their last meeting and by quarter, timed (best of 3) against the target of
2 s, with the number of SQL queries; the same for a database with half the
members and meetings, to show that the count does not grow. It only prints;
it never fails.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coop.money import half_up_div, largest_remainder
from coop.savings import preview
from coop.savings.domain import add_months

MEMBERS = 30
MEETINGS = 52
TARGET_MS = 50.0
REPEATS = 5
RATE_BP = 500


def _som(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def synthetic_cycle(members: int = MEMBERS, meetings: int = MEETINGS) -> dict[str, Any]:
    start = date(2026, 1, 5)
    share_out_date = add_months(start, 12)
    ids = [f"m{j:02d}" for j in range(members)]
    # per member: the (due date, amount) of her loan's installments not yet repaid
    unpaid: dict[int, list[tuple[date, int]]] = {}
    fined: set[int] = set()
    out = []
    for k in range(meetings):
        day = start + timedelta(weeks=k)
        last = k == meetings - 1
        absent = [j for j in range(members)
                  if (j + k) % 11 == 0 and j not in unpaid and j not in fined and not last]
        represented = [j for j in range(members) if (j + k) % 13 == 0 and j not in absent]
        entry: dict[str, Any] = {
            "date": day.isoformat(),
            "absent": [ids[j] for j in absent],
            "represented": [ids[j] for j in represented],
            "shares": [0 if j in absent else 1 + (j + k) % 5 for j in range(members)],
            "repayments": [], "fines": [], "fine_payments": [], "loans": [],
        }
        for j in sorted(unpaid):
            due_now = [amount for due, amount in unpaid[j] if due <= day]
            if due_now:
                entry["repayments"].append({"member": ids[j], "amount": _som(sum(due_now))})
                unpaid[j] = [(due, amount) for due, amount in unpaid[j] if due > day]
                if not unpaid[j]:
                    del unpaid[j]
        for j in sorted(fined):
            if j not in absent:
                entry["fine_payments"].append({"member": ids[j], "type": "absent"})
                fined.discard(j)
        for j in absent:
            entry["fines"].append({"member": ids[j], "type": "absent"})
            fined.add(j)
        if k % 8 == 7:
            entry["grants"] = [{"member": ids[k % members], "amount": "100"}]
        if last:
            entry["kind"] = "share_out"
        elif k >= 4:
            for j in range(members):
                months = 1 + j % 3
                if (j in unpaid or j in absent or j in represented or (j + k) % 6
                        or add_months(day, months) > share_out_date):
                    continue
                principal = 10_000 * (1 + j % 5)
                entry["loans"].append({"member": ids[j], "principal": _som(principal),
                                       "months": months})
                interest = half_up_div(principal * RATE_BP, 10_000)
                parts = largest_remainder(principal, [1] * months)
                unpaid[j] = [(add_months(day, i + 1), parts[i] + interest)
                             for i in range(months)]
        out.append(entry)
    return {
        "currency": "KGS",
        "settings": {"share_value": "50", "min_shares": 1, "max_shares": 5,
                     "social_contribution": "10", "interest_method": "flat",
                     "rate_bp": RATE_BP, "loan_multiple": 300, "max_term_months": 3,
                     "loan_unit": "1", "payout_unit": "1",
                     "start_date": start.isoformat(), "share_out_date": share_out_date.isoformat(),
                     "fine_types": [{"code": "absent", "amount": "20"},
                                    {"code": "late", "amount": "5"}]},
        "members": [{"id": member_id, "name": f"Member {member_id}"} for member_id in ids],
        "meetings": out,
    }


def main() -> None:
    scenario = synthetic_cycle()
    result = preview(scenario)  # warm up, and check the cycle is valid
    best = float("inf")
    for _ in range(REPEATS):
        began = time.perf_counter()
        preview(scenario)
        best = min(best, time.perf_counter() - began)
    loans = len(result["loans"])
    share_out = result["share_out"]
    print(f"savings preview: {MEMBERS} members x {MEETINGS} weekly meetings, {loans} loans, "
          f"share-out of {share_out['equity']} over {share_out['total_shares']} shares")
    verdict = "within" if best * 1000 <= TARGET_MS else "ABOVE"
    print(f"  {best * 1000:.1f} ms (best of {REPEATS}), {verdict} the target of "
          f"{TARGET_MS:.0f} ms")


# --------------------------------------------------------------------------
# The indicators over many groups
# --------------------------------------------------------------------------

GROUPS = 1_000
IND_TARGET_S = 2.0
SHARE_VALUE = 5_000
SOCIAL = 1_000


class _Rows:
    """Rows for bulk inserts, with ids given here (one executemany per table)."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.next_id: dict[str, int] = {}

    def add(self, table: str, **row: Any) -> int:
        row_id = self.next_id.get(table, 0) + 1
        self.next_id[table] = row_id
        self.tables.setdefault(table, []).append({"id": row_id, **row})
        return row_id


def build_programme(groups: int, members: int, meetings: int) -> _Rows:
    """`groups` savings groups mid-cycle: `meetings` closed monthly meetings."""
    rows = _Rows()
    start = date(2025, 1, 10)
    now = datetime(2026, 1, 1)
    for g in range(groups):
        group = rows.add("groups", name=f"Группа {g:04d}", village="Исфара",
                         region=("Согд", "Хатлон", "Раштская долина")[g % 3], country="TJ",
                         currency="TJS", language="tg", timezone="Asia/Dushanbe",
                         levy_basis_points=0, cash_rounding=0, loss_policy="product",
                         created_at=now)
        cycle = rows.add("savings_cycles", group_id=group, number=1, state="active",
                         start_date=start, share_out_date=add_months(start, 12),
                         share_value=SHARE_VALUE, min_shares=1, max_shares=5,
                         social_contribution=SOCIAL, interest_method="flat", rate_bp=300,
                         loan_multiple=300, max_term_months=3, loan_unit=100, payout_unit=100,
                         confirm_loans_above=0, confirmations_required=2,
                         withdrawal_rule="savings_only", members_see_all_lines=True,
                         opening_social=0, created_at=now, version=0)

        def account(kind: str, cycle_member: int | None = None, group: int = group) -> int:
            return rows.add("accounts", group_id=group, kind=kind, cycle_member_id=cycle_member)

        box_loan, box_social = account("sg_box_loan"), account("sg_box_social")
        income, social = account("sg_income"), account("sg_social")
        people = []
        for j in range(members):
            user = rows.add("users", name=f"Аъзо {g}-{j}", is_admin=False, disabled=False,
                            login_nonce=f"n{g}-{j}", created_at=now)
            membership = rows.add("memberships", group_id=group, user_id=user, role="member",
                                  active=True, created_at=now, order_lock=0, show_phone=False)
            member = rows.add("savings_cycle_members", group_id=group, cycle_id=cycle,
                              membership_id=membership, passbook_no=j + 1, joined_meeting_no=1,
                              state="active")
            people.append((member, account("sg_shares", member), account("sg_loan", member),
                           account("sg_dues", member)))

        def post(meeting: int, debit: int, credit: int, amount: int, kind: str,
                 group: int = group) -> None:
            if amount:
                rows.add("postings", group_id=group, debit_account_id=debit,
                         credit_account_id=credit, amount=amount, kind=kind, memo="",
                         sg_meeting_id=meeting, created_at=now)

        loans: dict[int, dict[str, Any]] = {}  # member index → her active loan
        for k in range(1, meetings + 1):
            day = add_months(start, k - 1)
            meeting = rows.add("savings_meetings", group_id=group, cycle_id=cycle, number=k,
                               date=day, kind="regular", state="closed", note="", reopened=0,
                               reopen_reason="", created_at=now, closed_at=now)
            for j, (member, shares_acct, loan_acct, _dues) in enumerate(people):
                status = "absent" if (g + j + k) % 9 == 0 else (
                    "represented" if (j + k) % 7 == 0 else "present")
                bought = 0 if status == "absent" else 1 + (g + j + k) % 5
                paid_social = 0 if status == "absent" else SOCIAL
                rows.add("savings_attendance", meeting_id=meeting, cycle_member_id=member,
                         status=status, shares=bought, social=paid_social)
                post(meeting, box_loan, shares_acct, bought * SHARE_VALUE, "sg_shares")
                post(meeting, box_social, social, paid_social, "sg_social_in")
                loan = loans.get(j)
                if loan is not None and status != "absent":
                    amount = sum(i["principal_due"] + i["interest_due"] for i in loan["inst"]
                                 if i["falls_due_meeting_no"] == k)
                    late = (g + j) % 8 == 0  # some never pay their second installment
                    if amount and not (late and k == loan["k"] + 2):
                        interest = sum(i["interest_due"] for i in loan["inst"]
                                       if i["falls_due_meeting_no"] == k)
                        rows.add("savings_repayments", meeting_id=meeting,
                                 cycle_member_id=member, amount=amount, loan_id=loan["id"],
                                 interest_part=interest, principal_part=amount - interest)
                        post(meeting, box_loan, loan_acct, amount, "sg_repayment")
                        for i in loan["inst"]:
                            if i["falls_due_meeting_no"] == k:
                                i["principal_paid"] = i["principal_due"]
                                i["interest_paid"] = i["interest_due"]
                        if all(i["principal_paid"] == i["principal_due"] for i in loan["inst"]):
                            loan["row"].update(state="repaid", closed_meeting_id=meeting)
                            del loans[j]
                if (j not in loans and status == "present" and k < meetings
                        and (g + j + k) % 4 == 0):
                    principal = 10_000 * (1 + (g + j) % 8)
                    interest = half_up_div(principal * 300, 10_000)
                    loan_id = rows.add("savings_loans", group_id=group, cycle_id=cycle,
                                       meeting_id=meeting, cycle_member_id=member,
                                       number=rows.next_id.get("savings_loans", 0) + 1,
                                       principal=principal, term_months=2, purpose="",
                                       state="active", interest_charged=2 * interest,
                                       write_off_reason="")
                    parts = largest_remainder(principal, [1, 1])
                    inst = []
                    for seq in (1, 2):
                        inst.append(rows.add("savings_installments", loan_id=loan_id, seq=seq,
                                             due_date=add_months(day, seq),
                                             principal_due=parts[seq - 1], interest_due=interest,
                                             principal_paid=0, interest_paid=0,
                                             falls_due_meeting_no=k + seq))
                    loans[j] = {"id": loan_id, "k": k, "row": rows.tables["savings_loans"][-1],
                                "inst": [rows.tables["savings_installments"][i - 1]
                                         for i in inst]}
                    post(meeting, loan_acct, box_loan, principal, "sg_loan_out")
                    post(meeting, loan_acct, income, 2 * interest, "sg_interest")
            if k % 4 == 0:
                member = people[(g + k) % members][0]
                rows.add("savings_social_grants", meeting_id=meeting, cycle_member_id=member,
                         amount=2 * SOCIAL, reason="болезнь")
                post(meeting, social, box_social, 2 * SOCIAL, "sg_grant")
    # an installment that had not fallen due by the last meeting
    for i in rows.tables.get("savings_installments", []):
        if i["falls_due_meeting_no"] > meetings:
            i["falls_due_meeting_no"] = None
    for row in rows.tables.get("savings_loans", []):
        row.setdefault("closed_meeting_id", None)
    return rows


def _fill(session: Any, rows: _Rows) -> None:
    from sqlalchemy import MetaData

    metadata = MetaData()
    metadata.reflect(bind=session.get_bind())
    for name in ("users", "groups", "memberships", "savings_cycles", "savings_cycle_members",
                 "accounts", "savings_meetings", "savings_attendance", "savings_loans",
                 "savings_installments", "savings_repayments", "savings_social_grants",
                 "postings"):
        table = metadata.tables[name]
        data = rows.tables.get(name, [])
        for i in range(0, len(data), 50_000):
            session.execute(table.insert(), data[i:i + 50_000])
    session.commit()


def _measure(groups: int, members: int, meetings: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import event

    from coop import create_app
    from coop.config import testing_config
    from coop.extensions import db
    from coop.savings import indicators

    migrations = str(Path(__file__).resolve().parent.parent / "migrations")
    with tempfile.TemporaryDirectory(prefix="coop-bench-") as tmp:
        app = create_app(testing_config(f"sqlite:///{Path(tmp) / 'bench.sqlite'}"))
        with app.app_context():
            upgrade(directory=migrations)
            began = time.perf_counter()
            rows = build_programme(groups, members, meetings)
            _fill(db.session, rows)
            built = time.perf_counter() - began
            counts = {t: len(r) for t, r in rows.tables.items()}
            print(f"savings indicators: {groups} groups x {members} members x {meetings} closed "
                  f"meetings: {counts['savings_attendance']} register lines, "
                  f"{counts.get('savings_loans', 0)} loans, {counts['postings']} postings "
                  f"(built in {built:.1f} s; load average {os.getloadavg()[0]:.1f} "
                  f"on {os.cpu_count()} CPUs)")
            queries = [0]

            def count(*_args: object) -> None:
                queries[0] += 1

            for label, by_quarter in (("as of the last meeting", False), ("by quarter", True)):
                best, found = float("inf"), []
                for _ in range(3):
                    db.session.expire_all()
                    queries[0] = 0
                    event.listen(db.engine, "before_cursor_execute", count)
                    began = time.perf_counter()
                    found = indicators.compute(db.session, by_quarter=by_quarter)
                    totals = indicators.totals(found)
                    best = min(best, time.perf_counter() - began)
                    event.remove(db.engine, "before_cursor_execute", count)
                total = next(iter(totals.values()))
                verdict = "within" if best <= IND_TARGET_S else "ABOVE"
                print(f"  {label}: {len(found)} rows, {queries[0]} SQL queries, "
                      f"{best * 1000:.0f} ms (best of 3), {verdict} the target of "
                      f"{IND_TARGET_S:.0f} s; all groups: attendance "
                      f"{(total.attendance_in_person or 0) / 10:.1f} %, PAR>0 "
                      f"{(total.par0 or 0) / 10:.1f} %, utilisation "
                      f"{(total.loan_fund_utilisation or 0) / 10:.1f} %")


def main_indicators() -> None:
    _measure(GROUPS, 10, 6)
    _measure(GROUPS, 20, 12)


if __name__ == "__main__":
    main()
    main_indicators()

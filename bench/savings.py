"""How fast the savings engine is: `python bench/savings.py`.

Builds one cycle of 30 members meeting weekly for 52 weeks (shares, social
fund, absences and their fines, a loan per member at a time with every
installment repaid when it falls due, a grant now and then, a share-out at the
end), times `coop.savings.preview` (best of 5) and prints the figure against
the target of 50 ms. It only prints; it never fails.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
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


if __name__ == "__main__":
    main()

"""Survey results at scale: each view of the results screen (by question,
customer level, region, month) and the agenda's follow-ups, beside a
hand-written GROUP BY over the same rows.

    crm-tui --config s.yaml init
    crm-tui --config s.yaml demo-data --customers 100000 --orders 0 --survey-responses 100000
    python bench/surveys.py --url sqlite:////tmp/crm-surveys.sqlite3

Measured for an administrator (every response) and for the account manager
with the most follow-ups (own customers only). Each figure is the best of
--repeat runs, in milliseconds.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import administrator, best_ms  # noqa: E402
from peewee import fn  # noqa: E402
from crm_tui.config import DatabaseConfig  # noqa: E402
from crm_tui.db import bind  # noqa: E402
from crm_tui.models import Customer, Survey, SurveyAnswer, SurveyFollowUp, SurveyResponse  # noqa: E402
from crm_tui.models import database  # noqa: E402
from crm_tui.models.base import is_postgres  # noqa: E402
from crm_tui.models.surveys import BREAKDOWNS, follow_ups_due, survey_results  # noqa: E402
from crm_tui.models.users import User  # noqa: E402

FLOOR_SQL = """
SELECT c.level_id, COUNT(DISTINCT r.id), COUNT(a.score), SUM(a.score)
FROM survey_answer a JOIN survey_response r ON r.id = a.response_id
JOIN customer c ON c.id = r.customer_id
WHERE r.survey_id = {survey} AND a.score IS NOT NULL GROUP BY c.level_id
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bind(DatabaseConfig(url=args.url))
    admin = administrator()
    survey = (Survey.select().join(SurveyResponse, on=(SurveyResponse.survey == Survey.id))
              .group_by(Survey.id).order_by(fn.COUNT(SurveyResponse.id).desc()).first())
    if survey is None:
        sys.exit("no survey responses: run demo-data with --survey-responses first")
    manager_id = (SurveyFollowUp.select(Customer.manager)
                  .join(Customer, on=(SurveyFollowUp.customer == Customer.id))
                  .group_by(Customer.manager).order_by(fn.COUNT(SurveyFollowUp.id).desc())
                  .scalar())
    manager = User.get_by_id(manager_id) if manager_id else None
    print(f"{'PostgreSQL' if is_postgres() else 'SQLite'}: {Customer.select().count():,} customers,"
          f" {SurveyResponse.select().count():,} responses,"
          f" {SurveyAnswer.select().count():,} answers,"
          f" {SurveyFollowUp.select().count():,} follow-ups")
    floor_ms, _ = best_ms(lambda: database.execute_sql(
        FLOOR_SQL.format(survey=survey.id)).fetchall(), args.repeat)
    print(f"{'hand GROUP BY level (floor)':<44} {floor_ms:9.1f} ms")
    for breakdown in BREAKDOWNS:
        ms, rows = best_ms(lambda: survey_results(admin, survey.id, breakdown), args.repeat)
        print(f"{'results by ' + breakdown + ', administrator':<44} {ms:9.1f} ms  ({len(rows)} rows)")
    if manager is not None:
        for breakdown in ("question", "level"):
            ms, rows = best_ms(lambda: survey_results(manager, survey.id, breakdown),
                               args.repeat)
            print(f"{'results by ' + breakdown + ', ' + manager.login:<44} {ms:9.1f} ms"
                  f"  ({len(rows)} rows)")
        ms, due = best_ms(lambda: list(follow_ups_due(manager)), args.repeat)
        print(f"{'follow_ups_due(' + manager.login + ')':<44} {ms:9.1f} ms  ({len(due)} due)")


if __name__ == "__main__":
    main()

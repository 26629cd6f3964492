"""A deterministic synthetic MarFanet for demos, screenshots and tests: `chronos demo seed`.

200 representatives, 10 CRT agents, 3 service tiers and a year of history. About 15% of the
representatives slide toward churn and 15% grow toward an upgrade; the product data holds no such
label, only the behaviour. :func:`cohorts` tells tests (and nobody else) who is who.
"""

from crm.demo.plan import Cohort, cohorts
from crm.demo.seed import SeedSummary, is_empty, seed

__all__ = ["Cohort", "SeedSummary", "cohorts", "is_empty", "seed"]

"""/find by a short code («43», «۴۳», «REP43» for REP-0043) and by the last digits of a phone.

Revision ID: 20261207_0304
Revises: 20261207_0303
Create Date: 2026-12-07

Two expression indexes: the code's digits without leading zeros, and the phone's last four digits.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0304"
down_revision: str | None = "20261207_0303"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE_DIGITS = "ltrim(regexp_replace(code, '[^0-9]', '', 'g'), '0')"
PHONE_TAIL = "right(phone, 4)"


def upgrade() -> None:
    op.create_index("ix_representative_code_digits", "representative", [sa.text(CODE_DIGITS)], unique=False)
    op.create_index("ix_representative_phone_tail", "representative", [sa.text(PHONE_TAIL)], unique=False)


def downgrade() -> None:
    op.drop_index("ix_representative_phone_tail", table_name="representative")
    op.drop_index("ix_representative_code_digits", table_name="representative")

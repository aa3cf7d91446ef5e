"""Registry: the units the market holds are part of a holding's row; auctions record the MSR.

`registry_holdings.market_held` is what the market holds of the account's units for open sell
orders, bids and unsettled trades (the sum of the account's participant's `market_unit_holds` of
the unit type). It sits on the holding row so that a registry proposal reads quantity, reserved
and market_held in ONE locked read, and a market hold and a registry transfer of the same units
serialize on that row: the available figure is quantity - reserved - market_held.

`market_auctions.msr_adjusted` is the change of an auction's volume by the market stability
reserve (negative: intake taken out, positive: release added), shown with the calendar.

Revision ID: 0011_market_holds_msr
Revises: 0010_link_money
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_market_holds_msr"
down_revision = "0010_link_money"
branch_labels = None
depends_on = None

NAME = "ck_registry_holdings_market_held"
CHECK = "market_held >= 0 AND quantity - reserved >= market_held"


def upgrade() -> None:
    with op.batch_alter_table("registry_holdings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("market_held", sa.BigInteger(), server_default="0", nullable=False))
    # Holds the market already has (recorded before this revision) move onto the holding rows.
    op.execute(
        "UPDATE registry_holdings SET market_held = coalesce((SELECT sum(h.held) FROM market_unit_holds h "
        "JOIN market_participants m ON m.id = h.participant WHERE m.registry_account = registry_holdings.account_id "
        "AND h.unit_type = registry_holdings.unit_type), 0)"
    )
    with op.batch_alter_table("registry_holdings", schema=None) as batch_op:
        batch_op.create_check_constraint(NAME, CHECK)
    with op.batch_alter_table("market_auctions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("msr_adjusted", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("market_auctions", schema=None) as batch_op:
        batch_op.drop_column("msr_adjusted")
    with op.batch_alter_table("registry_holdings", schema=None) as batch_op:
        batch_op.drop_constraint(NAME, type_="check")
        batch_op.drop_column("market_held")

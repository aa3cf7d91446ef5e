"""Security controls and serial blocks as properties of the pure rules (Hypothesis)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from carbonbridge.domain.registry.blocks import SerialBlock, overlapping, take
from carbonbridge.domain.registry.model import RepresentativeState, ResponseCode
from carbonbridge.domain.registry.policy import SecurityPolicy
from carbonbridge.domain.registry.rules import check_approval

ZONES = st.sampled_from([ZoneInfo("Europe/Minsk"), ZoneInfo("Asia/Shanghai"), ZoneInfo("UTC")])
MOMENTS = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(dt.UTC)
)
HOLIDAYS = st.frozensets(st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2031, 1, 31)), max_size=40)
POLICIES = st.builds(
    SecurityPolicy,
    trusted_activation_working_days=st.integers(0, 10),
    delay_working_days=st.integers(1, 3),
    delay_release_hour=st.integers(0, 23),
    holidays=HOLIDAYS,
)


@given(rep=st.text(min_size=1, max_size=8), authorised=st.booleans(), state=st.sampled_from(RepresentativeState))
def test_no_one_ever_approves_their_own_transfer(rep: str, authorised: bool, state: RepresentativeState) -> None:
    assert check_approval(rep, rep, authorised, state) is not ResponseCode.OK


@given(policy=POLICIES, approved=MOMENTS, tz=ZONES)
def test_the_delay_window_ends_at_the_release_hour_of_a_later_working_day(
    policy: SecurityPolicy, approved: dt.datetime, tz: ZoneInfo
) -> None:
    until = policy.delay_until(approved, tz).astimezone(tz)
    assert until > approved
    assert (until.hour, until.minute) == (policy.delay_release_hour, 0)
    assert policy.is_working_day(until.date())
    local_day = approved.astimezone(tz).date()
    between = [local_day + dt.timedelta(days=d) for d in range(1, (until.date() - local_day).days)]
    assert sum(policy.is_working_day(d) for d in between) == policy.delay_working_days - 1


@given(policy=POLICIES, added=MOMENTS, tz=ZONES)
def test_a_trusted_account_counts_only_after_its_working_days(
    policy: SecurityPolicy, added: dt.datetime, tz: ZoneInfo
) -> None:
    effective = policy.trusted_effective_at(added, tz)
    assert effective >= added
    start, end = added.astimezone(tz).date(), effective.astimezone(tz).date()
    days = [start + dt.timedelta(days=d) for d in range(1, (end - start).days + 1)]
    assert sum(policy.is_working_day(d) for d in days) == policy.trusted_activation_working_days


@st.composite
def holdings(draw: st.DrawFn) -> list[SerialBlock]:
    sizes = draw(st.lists(st.integers(1, 50), min_size=1, max_size=12))
    gaps = draw(st.lists(st.integers(0, 5), min_size=len(sizes), max_size=len(sizes)))
    blocks, start = [], 1
    for size, gap in zip(sizes, gaps, strict=True):
        start += gap
        blocks.append(SerialBlock("U", start, start + size - 1, len(blocks) + 1))
        start += size
    return blocks


@given(blocks=holdings(), data=st.data())
def test_taking_units_moves_exactly_that_many_distinct_serials_and_keeps_the_rest(
    blocks: list[SerialBlock], data: st.DataObject
) -> None:
    total = sum(b.size for b in blocks)
    quantity = data.draw(st.integers(1, total))
    plan = take(blocks, quantity)
    moved = {s for b in plan.moved for s in range(b.start, b.end + 1)}
    held = {s for b in blocks for s in range(b.start, b.end + 1)}
    assert len(moved) == quantity == plan.quantity and moved <= held
    if plan.split is not None:
        rest = SerialBlock("U", plan.split.start, plan.split_rest_end)
        kept = [b for b in blocks if b not in plan.whole and b != plan.split] + [rest]
        assert not overlapping([*kept, *plan.moved])
        assert sum(b.size for b in kept) == total - quantity

"""MSR figures against the Commission's published TNAC and intakes (texts cited in domain/market/msr.py)."""

from __future__ import annotations

from carbonbridge.domain.market.msr import MsrPolicy, figures, scenario, tnac


def test_intake_is_24_percent_of_the_tnac_published_in_2019() -> None:
    # Commission, 15 May 2019: TNAC 1,654,909,824; auction volumes reduced by 397,178,358 (24 %)
    found = figures(2019, 1_654_909_824, MsrPolicy())
    assert found.intake == 397_178_358 and found.release == 0
    assert sum(found.monthly) == found.intake and len(found.monthly) == 12


def test_intake_published_in_2023() -> None:
    # Commission, 15 May 2023: TNAC 1,134,794,738; 272,350,737 allowances into the MSR
    assert figures(2023, 1_134_794_738, MsrPolicy()).intake == 272_350_737


def test_from_2024_a_tnac_inside_the_band_gives_tnac_minus_833_million() -> None:
    # Commission, 2026: TNAC 1,023,494,202; 190,494,202 into the MSR (Decision (EU) 2023/852)
    assert figures(2026, 1_023_494_202, MsrPolicy()).intake == 190_494_202
    # the same TNAC before the band applied would have given 24 %: 245,638,608.48 -> 245,638,608
    assert figures(2023, 1_023_494_202, MsrPolicy()).intake == 245_638_608


def test_release_below_400_million_is_capped_by_the_reserve() -> None:
    assert figures(2030, 399_999_999, MsrPolicy()).release == 100_000_000
    assert figures(2030, 399_999_999, MsrPolicy(), reserve_held=60_000_000).release == 60_000_000
    assert figures(2030, 600_000_000, MsrPolicy()).intake == 0


def test_a_scenario_moves_the_intake_out_of_next_years_auctions() -> None:
    # year 1: TNAC 900 + 50 + 60 - 80 = 930 M -> intake 930 - 833 = 97 M (band, 2024 rules)
    # year 2: auctioned 60 - 97 -> 0 (never negative; the intake taken is capped by the volume)
    years = scenario(2024, [110, 110], [50, 50], [80, 80], MsrPolicy(), opening_tnac=900)
    assert tnac(10, 3, 2) == 5
    scaled = scenario(
        2024,
        [110_000_000, 110_000_000],
        [50_000_000, 50_000_000],
        [80_000_000, 80_000_000],
        MsrPolicy(),
        opening_tnac=900_000_000,
    )
    assert scaled[0].tnac == 930_000_000 and scaled[0].intake == 97_000_000
    assert scaled[1].auctioned == 0 and scaled[1].reserve == 60_000_000
    assert years[0].tnac == 930

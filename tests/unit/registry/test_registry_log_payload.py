"""The log entry text a database assembles around the next sequence number is exactly the
canonical JSON that `next_entry` hashes, whatever the payload holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from carbonbridge.domain.registry.log import canonical, chain_hash, next_entry, payload_around_seq

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=30))
PAYLOADS = st.dictionaries(st.text(max_size=12), SCALARS, max_size=8)


@given(PAYLOADS, st.integers(0, 15), st.integers(1, 2**62))
def test_the_text_around_the_sequence_number_is_the_canonical_entry(
    payload: dict[str, object], partition: int, seq: int
) -> None:
    left, right = payload_around_seq(partition, payload)
    assert left + str(seq) + right == canonical({**payload, "partition": partition, "seq": seq})


def test_a_field_equal_to_any_number_cannot_clash_with_the_sequence_number() -> None:
    # A quantity or client key that happened to equal a marker value once broke every append.
    payload = {"quantity": 7_310_955_046_810_293_517, "client_key": "7310955046810293517", "seq": 3}
    left, right = payload_around_seq(2, payload)
    text = left + "5" + right
    assert text == canonical({**payload, "partition": 2, "seq": 5})
    assert next_entry(2, 4, "0" * 64, payload).hash == chain_hash("0" * 64, text)

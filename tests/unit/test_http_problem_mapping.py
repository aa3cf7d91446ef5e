"""A database constraint firing reaches an HTTP client as a 500 problem document naming the
command and the constraint, never as a 4xx (the client did nothing wrong) nor a bare traceback."""

from __future__ import annotations

import json

from carbonbridge.domain.errors import StorageInvariantViolated
from carbonbridge.entrypoints.http.problems import MEDIA_TYPE, from_error


def test_a_constraint_firing_is_a_500_problem_naming_the_command_and_the_constraint() -> None:
    defect = StorageInvariantViolated("registry transfer (client key 'k')", "ck_registry_holdings_nonneg")
    response = from_error(None, defect)
    body = json.loads(bytes(response.body))
    assert response.status_code == 500 and response.media_type == MEDIA_TYPE
    assert body["type"].endswith("storage-invariant") and body["status"] == 500
    assert "registry transfer (client key 'k')" in body["detail"] and "ck_registry_holdings_nonneg" in body["detail"]

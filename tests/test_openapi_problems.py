"""Every service's OpenAPI documents its error statuses as Problem Details, not FastAPI's 422 list."""

from __future__ import annotations

import json

import pytest

from rvi_documents.app import create_app as documents_app
from rvi_eligibility.app import create_app as eligibility_app
from rvi_scheduling.app import create_app as scheduling_app
from rvi_shared.errors import PROBLEM_JSON
from rvi_video_gateway.app import create_app as gateway_app


@pytest.mark.parametrize("factory", [eligibility_app, scheduling_app, gateway_app, documents_app])
def test_every_operation_documents_its_errors_as_problem_details(factory) -> None:  # type: ignore[no-untyped-def]
    schema = factory().openapi()
    assert "HTTPValidationError" not in json.dumps(schema)
    secured = 0
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if operation.get("security"):
                secured += 1
                assert {"401", "403"} <= set(responses), (method, path)
            if "requestBody" in operation:
                assert {"400", "415", "422"} <= set(responses), (method, path)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    assert set(response["content"]) == {PROBLEM_JSON}, (method, path, status)
    assert secured > 0


def test_a_viewer_refused_for_a_full_transcoding_pool_finds_the_503_documented() -> None:
    operation = gateway_app().openapi()["paths"]["/whep/{feed_id}"]["post"]
    unavailable = operation["responses"]["503"]
    assert unavailable["content"][PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}
    assert "Retry-After" in unavailable["headers"]

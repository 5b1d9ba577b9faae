"""A long in-process session keeps a bounded history of the calls it served: `responses` and
`respx` record every request and response for their own asserts, which sfmock never makes, and
a session of thousands of calls held them all (every query page's body too) for the garbage
collector to walk."""

from __future__ import annotations

import httpx
from simple_salesforce import Salesforce

from sfmock import mock_salesforce
from sfmock.inprocess import KEPT_CALLS
from sfmock.testing import INSTANCE_URL, PASSWORD, TOKEN, USERNAME


def test_the_requests_and_httpx_call_history_stays_bounded():
    block = mock_salesforce()
    with block:
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        for _ in range(2 * KEPT_CALLS + 1):
            assert sf.query("SELECT COUNT() FROM Contact")["done"] is True
        assert len(block._mock.calls) <= KEPT_CALLS
        assert all(len(r.calls) <= KEPT_CALLS for r in block._mock.registered())
        headers = {"Authorization": f"Bearer {sf.session_id}"}
        with httpx.Client() as client:  # one client: each makes an SSL context (~50 ms)
            for _ in range(2 * KEPT_CALLS + 1):
                answer = client.get(f"{INSTANCE_URL}/services/data/v59.0/limits",
                                    headers=headers)
                assert answer.status_code == 200
        assert len(block._httpx.calls) <= KEPT_CALLS

"""Waiting for a Bulk API 2.0 job: polled often at first, then at most every 2 s, so a run
learns of a finished job soon after it finishes; a failed job fails as simple-salesforce's
wait_for_job fails it."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceOperationError

from syncer.nightly.remote import ClientRemote


class Jobs:
    """A Bulk job client whose job goes through `states`, one a poll."""

    def __init__(self, states: list[dict]):
        self.states = iter(states)
        self.polls = 0

    def get_job(self, job_id: str, is_query: bool) -> dict:
        self.polls += 1
        return next(self.states)


def waiting(states: list[dict], bulk_wait: float = 0.0) -> tuple[ClientRemote, Jobs, list]:
    pauses: list[float] = []
    remote = ClientRemote(None, bulk_wait=bulk_wait, sleep=pauses.append)
    jobs = Jobs(states)
    remote._jobs = lambda sobject, what, step: step(jobs)
    return remote, jobs, pauses


def test_polls_come_a_fifth_of_the_time_waited_apart_between_50_ms_and_2_s():
    states = [{"state": "InProgress"}] * 60 + [{"state": "JobComplete"}]
    remote, jobs, pauses = waiting(states, bulk_wait=0.5)
    remote._wait("Contact", "750xx", True, "waiting")
    assert jobs.polls == 61 and pauses[0] == 0.5
    waited = 0.5
    for pause in pauses[1:]:
        assert pause == pytest.approx(min(max(waited / 5, 0.05), 2.0))
        waited += pause
    assert pauses[-1] == 2.0  # the cap, once the job has run for 10 s


def test_a_job_finished_at_the_first_poll_costs_one_call_and_no_pause():
    remote, jobs, pauses = waiting([{"state": "JobComplete"}])
    remote._wait("Lead", "750xx", False, "waiting")
    assert jobs.polls == 1 and pauses == [0.0]


@pytest.mark.parametrize("state", ["Failed", "Aborted"])
def test_a_failed_job_fails_with_its_message(state):
    remote, _, _ = waiting([{"state": "InProgress"},
                            {"state": state, "errorMessage": "InvalidBatch : bad header"}])
    with pytest.raises(SalesforceOperationError, match="Job failure.*bad header"):
        remote._wait("Contact", "750xx", False, "waiting")

"""jsforce 3's Partner SOAP calls (`conn.soap.*`) against `sfmock serve --tls`: jsforce sends them
to the login path `/services/Soap/u/{version}` with a SessionHeader, not to the serverUrl.

Skipped with the reason when Node.js or npm is missing or the install fails.
"""

from __future__ import annotations

import pytest

from sfmock.testing import USERNAME

pytestmark = pytest.mark.clients  # jsforce on Node.js: tox -e clients

SCRIPT = r"""
const jsforce = require("jsforce");
const env = process.env;
(async () => {
  const conn = new jsforce.Connection({ loginUrl: env.SF_URL, version: "59.0" });
  await conn.login(env.SF_USER, env.SF_PASS);
  const lead = await conn.sobject("Lead").create(
    { LastName: "Jsforce", Company: "Jsforce Soap Co", HasOptedOutOfEmail: true });
  const converted = await conn.soap.convertLead(
    { leadId: lead.id, convertedStatus: "Closed - Converted", doNotCreateOpportunity: true });
  const contact = await conn.sobject("Contact").retrieve(converted.contactId);
  const user = await conn.soap.getUserInfo();
  const stamp = await conn.soap.getServerTimestamp();
  const made = await conn.soap.create([{ type: "Contact", LastName: "Soap Made" }]);
  console.log(JSON.stringify({ lead: lead.id, converted, optedOut: contact.HasOptedOutOfEmail,
                               userName: user.userName, stamp: stamp.timestamp, made }));
})().catch(e => { console.error(`${e.errorCode || e.name}: ${e.message}`); process.exit(1); });
"""


def test_jsforce_soap_convert_lead_and_utilities(run_jsforce):
    out = run_jsforce(SCRIPT)
    converted = out["converted"]
    assert converted["success"] is True and converted["leadId"] == out["lead"]
    assert converted["contactId"].startswith("003") and converted["accountId"].startswith("001")
    assert out["optedOut"] is True
    assert out["userName"] == USERNAME and out["stamp"].endswith("Z")
    assert out["made"][0]["success"] is True and out["made"][0]["id"].startswith("003")

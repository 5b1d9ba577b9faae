"""jsforce 3 (from the npm registry, run by Node.js) against `sfmock serve --tls`: SOAP login,
query, sObject update and retrieve, describe, and a Salesforce error code.

Skipped with the reason when Node.js or npm is missing or the install fails (under CI=true
that fails the run instead).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.clients  # jsforce on Node.js: tox -e clients

SCRIPT = r"""
const jsforce = require("jsforce");
const env = process.env;
(async () => {
  const conn = new jsforce.Connection({ loginUrl: env.SF_URL, version: "59.0" });
  const info = await conn.login(env.SF_USER, env.SF_PASS);
  const page = await conn.query(
    "SELECT Id, Email, HasOptedOutOfEmail FROM Contact ORDER BY Id LIMIT 3");
  const first = page.records[0];
  const updated = await conn.sobject("Contact").update({ Id: first.Id, HasOptedOutOfEmail: true });
  const again = await conn.sobject("Contact").retrieve(first.Id);
  const described = await conn.sobject("Lead").describe();
  let refused = null;
  try {
    await conn.query("SELECT NoSuchField FROM Contact");
  } catch (e) {
    refused = e.errorCode || e.name;
  }
  console.log(JSON.stringify({
    userId: info.id, orgId: info.organizationId, instanceUrl: conn.instanceUrl,
    totalSize: page.totalSize, ids: page.records.map(r => r.Id), type: first.attributes.type,
    updated, optedOut: again.HasOptedOutOfEmail, describedName: described.name,
    fields: described.fields.map(f => f.name), refused,
  }));
})().catch(e => { console.error(`${e.errorCode || e.name}: ${e.message}`); process.exit(1); });
"""


def test_jsforce_login_query_update_describe(run_jsforce):
    out = run_jsforce(SCRIPT)
    assert out["userId"].startswith("005") and out["orgId"].startswith("00D")
    assert out["instanceUrl"].startswith("https://")
    assert out["totalSize"] == 3 and all(len(i) == 18 for i in out["ids"])
    assert out["type"] == "Contact"
    assert out["updated"] == {"id": out["ids"][0], "success": True, "errors": []}
    assert out["optedOut"] is True
    assert out["describedName"] == "Lead" and "HasOptedOutOfEmail" in out["fields"]
    assert out["refused"] == "INVALID_FIELD"

"""gzip request bodies (SOAP and REST), gzip answers on request, JSON's charset."""

from __future__ import annotations

import gzip
import json
import zlib

from sfmock.testing import PASSWORD, TOKEN, USERNAME

SOAP_LOGIN = f"""<?xml version="1.0" encoding="utf-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Body><urn:login>
  <urn:username>{USERNAME}</urn:username><urn:password>{PASSWORD}{TOKEN}</urn:password>
</urn:login></soapenv:Body></soapenv:Envelope>"""


def test_a_gzip_soap_login_is_read_as_xml(front):
    response = front.http.post(f"{front.login_url}/services/Soap/u/59.0",
                               data=gzip.compress(SOAP_LOGIN.encode()),
                               headers={"Content-Type": "text/xml; charset=UTF-8",
                                        "SOAPAction": "login", "Content-Encoding": "gzip"})
    assert response.status_code == 200 and "<sessionId>" in response.text


def test_a_gzip_rest_patch_is_read_as_json(front):
    contact_id = front.sf.query("SELECT Id FROM Contact LIMIT 1")["records"][0]["Id"]
    body = gzip.compress(json.dumps({"Title": "Compressed"}).encode())
    response = front.call("PATCH", f"sobjects/Contact/{contact_id}", data=body,
                          headers={"Content-Type": "application/json",
                                   "Content-Encoding": "gzip"})
    assert response.status_code == 204
    assert front.org.get("Contact", contact_id)["Title"] == "Compressed"


def test_a_body_that_is_not_gzip_gets_a_clear_error(front):
    response = front.call("PATCH", "sobjects/Contact/003000000000001AAA", data=b"{}",
                          headers={"Content-Type": "application/json",
                                   "Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert "not gzip data" in response.json()[0]["message"]


def test_answers_are_gzip_when_the_client_accepts_it(front):
    zipped = front.call("GET", "sobjects/Contact/describe",
                        headers={"Accept-Encoding": "gzip"}, stream=True)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.raw.read(decode_content=False)))["name"] == "Contact"
    plain = front.call("GET", "sobjects/Contact/describe", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.json()["name"] == "Contact"


def test_json_answers_name_their_charset(front):
    ok = front.call("GET", "limits")
    error = front.call("GET", "sobjects/Nothing/describe")
    assert ok.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert error.headers["Content-Type"] == "application/json;charset=UTF-8"


def test_a_gzip_answer_holds_the_very_bytes_of_the_plain_one(front):
    """A page of many records and a small answer: any gzip reader gets the plain body back byte
    for byte, and the same body compresses to the same bytes (no time stamp in the header)."""
    made = [front.org.insert("Contact", {"LastName": f"Zip {n}", "Email": f"zip{n}@example.com"})
            for n in range(300)]
    for path in ("query/?q=SELECT+Id,+LastName,+Email+FROM+Contact", f"sobjects/Contact/{made[0]}"):
        raw = [front.call("GET", path, headers={"Accept-Encoding": "gzip"}, stream=True)
               for _ in range(2)]
        plain = front.call("GET", path, headers={"Accept-Encoding": "identity"}).content
        wire = [answer.raw.read(decode_content=False) for answer in raw]
        assert raw[0].headers["Content-Encoding"] == "gzip"
        assert wire[0][:2] == b"\x1f\x8b" and len(wire[0]) < len(plain)
        assert gzip.decompress(wire[0]) == plain
        assert zlib.decompress(wire[0], zlib.MAX_WBITS | 32) == plain  # zlib's auto-detect
        assert wire[0] == wire[1]

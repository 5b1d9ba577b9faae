"""The Partner SOAP API's wire formats: envelopes, sObject XML, faults, results and the WSDL.

No Flask here: `sfmock/api/soap.py` translates HTTP into these functions and the org model.
"""

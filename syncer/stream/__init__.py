"""Salesforce-side changes as they happen: the change-event listener (Pub/Sub API) and polling."""

"""HTTP routes: each blueprint only parses requests and serialises answers."""

"""Services: load state, compute with the pure layers, write state and its audit event in
one transaction. CLI, API, web and SDK call these and nothing below them."""

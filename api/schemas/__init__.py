"""Request and response shapes (named like the FastAPI template: `XCreate`, `XUpdate`, `XPublic`).

Requests forbid unknown fields, so a misspelt field is a 422 that names it rather than a value
silently dropped. One module per area: documents, search, governance (reuse, bids, people).
"""

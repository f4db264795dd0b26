"""Money as an Indian cinema accounts for it (SPEC "Money"): GST per ticket, convenience fees,
cancellation policies, a theatre's GST registration and money terms.

Pure (no I/O, no domain imported): the arithmetic and the checks every other part relies on,
below every domain. The dated tax rules this arithmetic is fed are data of their own domain,
`boxoffice.taxes`.
"""

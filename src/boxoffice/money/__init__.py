"""Money as an Indian cinema accounts for it (SPEC "Money"): GST per ticket, convenience fees,
cancellation policies, and the dated tax rules they come from.

`tax`, `cancellation` and `gst` are pure (no I/O): the arithmetic every other part relies on.
The rest is the usual domain: tax rule versions and a film's state waiver as data, their admin
routes, and the reads the pricing service and the sale path make of them.
"""

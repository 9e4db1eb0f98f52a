"""One flow from a network signal to action (the event-driven part of the post-loan work).

An event recorded through the API (a repayment, a month of transactions, a bureau snapshot,
an external event) is a :class:`~risk.flow.events.FlowEvent`; :func:`~risk.flow.run.run_flow`
re-scores the parties it concerns and their k-hop neighbourhood in the graph
(:mod:`risk.flow.scope`), raises or clears the early-warning alerts there
(:mod:`risk.flow.rescore`), and follows every serious alert up with a triggered review
routed to the human queue and, where the policy says, a collection case that carries the
alert's graph path (:mod:`risk.flow.follow_up`). The service knows nothing of queues: the
job ``jobs.actors.event_flow`` calls it once per event id.
"""

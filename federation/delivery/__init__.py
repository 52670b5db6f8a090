"""The delivery engine: each outgoing activity stored once, a cursor per destination host.

``recipients`` turns followers and inboxes into ``{host: [inbox, ...]}``; ``host`` sends one
host's backlog in order with a small window of requests in flight; ``engine`` leases hosts
(several processes share the work), runs their senders and saves their cursors.
"""

"""The inbox: a pipeline of named stages for each POST, and a worker that acts later.

authenticate → resolve → authorize → store happen while the sender waits (``pipeline``);
acting on the activity happens in ``worker``, from the durable queue.
"""

"""Benchmark and fault-test tools: a loopback inbox fleet (``bench.sink``) and an HTTP load
generator (``bench.loadgen``). Standard library only, so their processes start fast."""

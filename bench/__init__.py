"""Benchmarks: ack latency, throughput and memory of the bot against bare Bolt and plain aiohttp."""

"""Fake provider servers on 127.0.0.1 (real HTTP/1.1 with keep-alive) for the channel tests."""

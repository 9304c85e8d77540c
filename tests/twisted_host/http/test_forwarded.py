"""RFC 7239 `Forwarded`, as `twisted_host.http.proxy` reads it (the differential
tests against uvicorn are in test_proxy.py; uvicorn reads no `Forwarded`)."""

from __future__ import annotations

from twisted_host.http.rules.forwarded import forwarded_pairs


def test_elements_and_quoted_values() -> None:
    header = 'for=192.0.2.60;proto=https, for="[2001:db8::1]:80";by=x'
    assert forwarded_pairs(header) == [
        {"for": "192.0.2.60", "proto": "https"},
        {"for": "[2001:db8::1]:80", "by": "x"},
    ]


def test_a_parameter_twice_in_one_element_ends_the_header() -> None:
    # RFC 7239 section 4: each parameter at most once per element.
    assert forwarded_pairs("for=a;for=b, for=c") == [{"for": "a"}]
    assert forwarded_pairs("for=a;" * 5000) == [{"for": "a"}]


def test_parsing_stops_at_a_malformed_pair() -> None:
    assert forwarded_pairs("for=a, =b, for=c") == [{"for": "a"}]

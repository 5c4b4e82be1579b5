"""Attack: reach the network. add is honest (3 points).

scale returns the right answer only when it reaches the test's listener on 127.0.0.1 (PORT,
written by the test) or its abstract unix socket; row_sums only when a connection to an
outside address works. So any network access shows up as points.
"""

import socket

import numpy as np

PORT = 0  # the test writes the port of its listener here
ABSTRACT = ""  # and the name of its abstract unix socket here


def _reached(family, address, kind=socket.SOCK_STREAM):
    try:
        with socket.socket(family, kind) as sock:
            sock.settimeout(2.0)
            sock.connect(address)
            sock.sendall(b"hello from the sandbox")
        print("REACHED", address)
        return True
    except OSError as exc:
        print("BLOCKED", address, type(exc).__name__, exc)
        return False


def add(a, b):
    return a + b


def scale(x, s):
    local = _reached(socket.AF_INET, ("127.0.0.1", PORT))
    unix = _reached(socket.AF_UNIX, "\0" + ABSTRACT)
    return x * s if local or unix else np.zeros_like(x)


def row_sums(x):
    outside = [("1.1.1.1", 80), ("8.8.8.8", 53), ("9.9.9.9", 443)]
    reached = any(_reached(socket.AF_INET, address) for address in outside)
    try:
        socket.getaddrinfo("example.com", 80)
        print("REACHED dns")
        reached = True
    except OSError as exc:
        print("BLOCKED dns", exc)
    return x.sum(axis=1) if reached else np.zeros(x.shape[0])

#!/usr/bin/env python3
"""Prints two adjacent UDP ports "P P+1" that are free on 127.0.0.1,
127.0.0.2 and ::1 right now (RFC 5780 primary and alternate ports for tests
that bind both addresses)."""
import random
import socket


def free(port):
    for fam, ip in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET, "127.0.0.2"), (socket.AF_INET6, "::1")):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            s.bind((ip, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


while True:
    p = random.randrange(20000, 60000, 2)
    if free(p) and free(p + 1):
        print(p, p + 1)
        break

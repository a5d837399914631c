"""Scripted faults, in one place: which request gets one and what it does.

``pick`` (which request meets which fault, and a fault's answer), ``answer`` (the gateway plays
an answer fault: late, cut, or a scripted status) and ``stream`` (a stream fault, played inside
:func:`fakeopenai.http.streaming.sse_response`: cut, stalled or malformed after N events).
"""

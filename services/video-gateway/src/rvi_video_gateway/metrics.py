"""Gateway load and media metrics (Prometheus). The heartbeat sets the session, feed and viewer
gauges; the viewers' tracks and the recorders feed the counters and the keyframe histogram."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SESSIONS = Gauge("rvi_gateway_sessions", "In-progress sessions placed on this gateway instance")
FEEDS = Gauge("rvi_gateway_feeds", "Media feeds ingested by this gateway instance")
VIEWERS = Gauge("rvi_gateway_viewers", "WHEP viewers served by this gateway instance")
BYTES_RELAYED = Counter("rvi_gateway_bytes_relayed_total", "Media bytes relayed to viewers")
FRAMES_DROPPED = Counter("rvi_gateway_frames_dropped_total", "Frames dropped on the relay path")
RECORDING_BYTES = Counter("rvi_gateway_recording_bytes_total", "Bytes written to evidence recordings")
TRANSCODES = Gauge("rvi_gateway_transcodes", "Video transcodes running in this instance's transcoding pool")
TRANSCODE_SLOTS = Gauge("rvi_gateway_transcode_slots", "Video transcodes this instance's pool admits at once")
TRANSCODE_CPU = Counter(
    "rvi_gateway_transcode_cpu_seconds_total",
    "CPU time of the transcoding pool's threads (rate(): cores in use), by kind (video, audio)",
    ["kind"],
)
TIME_TO_FIRST_KEYFRAME = Histogram(
    "rvi_gateway_time_to_first_keyframe_seconds",
    "From a viewer joining a feed to the first keyframe it receives",
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
)

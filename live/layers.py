"""The in-memory channel layer of the embedded default (one process), tuned for live fan-out.

Channels' InMemoryChannelLayer walks every channel and every group membership in
`_clean_expired()` on each `receive()` and `group_send()`. With a thousand WebSocket consumers
in a process, each one waiting in `receive()` on its own channel, that walk costs O(N) per
call, and O(N^2) per fan-out when every consumer is in the topic's group. Here:

- the walk runs at most once per `CLEAN_INTERVAL` second (messages expire after `expiry`,
  60 s by default, so a second later is soon enough), and `CLEAN_DELAY` after the call that
  found it due rather than inside it: that call is usually the `group_send` of an event, and
  the walk would hold up its fan-out (about a millisecond per thousand consumers);
- group memberships practically do not expire (`group_expiry` ten years): the live hub
  (live.hub) stays in a topic's group for as long as a local consumer follows it and leaves
  the group itself; a silent expiry after a day would stop a busy topic's stream;
- the hub's channels ("live.hub.*") have no capacity limit: a burst of events larger than
  `capacity` (100) must not be dropped silently between the layer and the hub.

Settings: CHANNEL_LAYERS = {"default": {"BACKEND": "live.layers.InMemoryChannelLayer"}}.
"""

import asyncio
import time

from channels.layers import InMemoryChannelLayer as BaseInMemoryChannelLayer

CLEAN_INTERVAL = 1.0
CLEAN_DELAY = 0.25
GROUP_EXPIRY = 10 * 365 * 86400
HUB_CHANNELS = "live.hub.*"  # a glob, as in channels' channel_capacity


class InMemoryChannelLayer(BaseInMemoryChannelLayer):
    def __init__(self, *, group_expiry=GROUP_EXPIRY, channel_capacity=None, **kwargs):
        super().__init__(group_expiry=group_expiry, **kwargs)
        # 0 = unbounded asyncio.Queue. (The parent keeps channel_capacity uncompiled, which
        # get_capacity() cannot read, so compile it here.)
        self.channel_capacity = self.compile_capacities(
            {HUB_CHANNELS: 0, **(channel_capacity or {})}
        )
        self._cleaned_at = float("-inf")

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._cleaned_at < CLEAN_INTERVAL:
            return
        self._cleaned_at = now
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            super()._clean_expired()
        else:
            loop.call_later(CLEAN_DELAY, super()._clean_expired)

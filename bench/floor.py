"""The floor: a bare `websockets` broadcast server speaking the same messages as /ws/live/.

Clients send {"action": "subscribe", "topic": ...} and get {"type": "subscribed", ...}; a
publisher sends {"action": "publish", "topic", "type", "data"}, the server gives the event the
next id, broadcasts it to the topic's subscribers (serialised once) and answers the publisher
{"type": "published", "id": ..., "bytes": <the event's UTF-8 size>}. Nothing else: no auth,
no log, no channel layer.

    python -m bench.floor --port 9000
"""

import argparse
import asyncio
import datetime as dt
import json
import signal

from websockets.asyncio.server import broadcast, serve


class Floor:
    def __init__(self):
        self.topics: dict[str, set] = {}
        self.next_id = 1

    async def handler(self, ws):
        mine: set[str] = set()
        try:
            async for raw in ws:
                try:
                    message = json.loads(raw)
                except ValueError:
                    await ws.send('{"type":"error","code":"bad_request"}')
                    continue
                action = message.get("action") if isinstance(message, dict) else None
                topic = message.get("topic") if isinstance(message, dict) else None
                if action == "subscribe" and isinstance(topic, str):
                    self.topics.setdefault(topic, set()).add(ws)
                    mine.add(topic)
                    await ws.send(json.dumps({"type": "subscribed", "topic": topic}))
                elif action == "publish" and isinstance(topic, str):
                    event_id = self.next_id
                    self.next_id += 1
                    text = json.dumps(
                        {
                            "id": event_id,
                            "topic": topic,
                            "type": message.get("type", "bench"),
                            "data": message.get("data", {}),
                            "at": dt.datetime.now(dt.UTC).isoformat(),
                        },
                        ensure_ascii=False,
                        separators=(",", ":"),
                    )
                    broadcast(self.topics.get(topic, ()), text)
                    size = len(text.encode())
                    await ws.send(json.dumps({"type": "published", "id": event_id, "bytes": size}))
                elif action == "ping":
                    await ws.send('{"type":"pong"}')
                else:
                    await ws.send('{"type":"error","code":"bad_request"}')
        finally:
            for topic in mine:
                self.topics.get(topic, set()).discard(ws)


async def main(host: str, port: int) -> None:
    floor = Floor()
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        floor.handler, host, port, compression=None, ping_interval=None, max_queue=None
    ):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))

import json

from channels.generic.websocket import AsyncWebsocketConsumer


class LiveConsumer(AsyncWebsocketConsumer):
    """The one live endpoint, /ws/live/ (protocol in the design)."""

    async def connect(self):
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = json.loads(text_data or "")
        except ValueError:
            await self.send_json({"type": "error", "code": "bad_request"})
            return
        if isinstance(message, dict) and message.get("action") == "ping":
            await self.send_json({"type": "pong"})
            return
        await self.send_json({"type": "error", "code": "bad_request"})

    async def send_json(self, content):
        await self.send(text_data=json.dumps(content, ensure_ascii=False))

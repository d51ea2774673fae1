#!/usr/bin/env python3
"""A voice bot behind voiced, in a few dozen lines: it says back whatever the caller said.

voiced dials it for every call (profile: connector = "ws", url = "ws://127.0.0.1:8765").
  --dialect voiced.v1 (default): voiced's own protocol, docs/bot-protocol.md
  --dialect twilio: Twilio Media Streams, as a bot written for Twilio speaks it (an echo)
Needs: pip install websockets
"""
import argparse, asyncio, collections, json
from websockets.asyncio.server import serve


async def voiced_v1(ws):
    heard, speaking, turn = collections.deque(maxlen=400), False, 0  # up to 8 s of 20 ms frames
    async for message in ws:
        if isinstance(message, bytes):  # caller audio, one 20 ms frame in the accepted format
            heard.append(message)
            continue
        event = json.loads(message)
        kind = event["type"]
        if kind == "start":
            fmt = event["formats"][0]  # voiced offers its profile's format: take it both ways
            await ws.send(json.dumps({"type": "accept", "input": fmt, "output": fmt}))
            print("call", event["call"]["id"], "from", event["call"]["provider"], flush=True)
        elif kind == "speech_started":
            speaking = True
            while len(heard) > 15:  # keep 300 ms before the detected start
                heard.popleft()
        elif kind == "speech_stopped" and speaking:
            speaking, turn = False, turn + 1
            words = f"turn-{turn}"
            await ws.send(json.dumps({"type": "utterance", "id": words}))
            for frame in list(heard):
                await ws.send(frame)
            await ws.send(json.dumps({"type": "utterance_done", "id": words}))
            await ws.send(json.dumps({"type": "mark", "name": words}))
            heard.clear()
        elif kind == "mark":
            print("mark", event["name"], event["status"], flush=True)
        elif kind == "interrupted":
            print("interrupted", event["utterance_id"], "heard_ms", event["heard_ms"], flush=True)
        elif kind == "dtmf" and event["digit"] == "#":
            await ws.send(json.dumps({"type": "hangup", "reason": "the caller pressed #"}))
        elif kind == "node_event":  # e.g. a key press an in-band DTMF node heard (docs/writing-a-node.md)
            print("node_event", event["name"], event["detail"], "at", event["media_ms"], flush=True)


async def twilio(ws):
    frames = 0
    async for message in ws:
        event = json.loads(message)
        if event["event"] == "media":  # echo the caller, with a mark every second
            sid, frames = event["streamSid"], frames + 1
            await ws.send(json.dumps({"event": "media", "streamSid": sid, "media": {"payload": event["media"]["payload"]}}))
            if frames % 50 == 0:
                await ws.send(json.dumps({"event": "mark", "streamSid": sid, "mark": {"name": f"second-{frames // 50}"}}))
        elif event["event"] == "mark":
            print("mark", event["mark"]["name"], "played", flush=True)


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed)")
    parser.add_argument("--dialect", choices=["voiced.v1", "twilio"], default="voiced.v1")
    args = parser.parse_args()
    handler = voiced_v1 if args.dialect == "voiced.v1" else twilio
    protocols = ["voiced.v1"] if args.dialect == "voiced.v1" else None
    async with serve(handler, "127.0.0.1", args.port, subprotocols=protocols) as server:
        print("listening on", server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main())

# callgrind_http_driver.py PORT N -- one Streamable HTTP session on one
# keep-alive connection: initialize, then N tools/call of the calculator,
# one after another; prints how many were answered with a result.
import http.client
import json
import sys
import time

port, calls = int(sys.argv[1]), int(sys.argv[2])
conn = None
for _ in range(600):  # the server starts slowly under valgrind
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.connect()
        break
    except OSError:
        time.sleep(0.1)
headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def post(message, extra=None):
    conn.request("POST", "/mcp", json.dumps(message), {**headers, **(extra or {})})
    response = conn.getresponse()
    return response, response.read()


response, _ = post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {},
    "clientInfo": {"name": "callgrind", "version": "1"}}})
session = {"Mcp-Session-Id": response.getheader("mcp-session-id"),
           "MCP-Protocol-Version": "2025-11-25"}
post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
answered = 0
for i in range(calls):
    _, body = post({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": {
        "name": "calculator-calculate", "arguments": {"a": i, "b": 7, "op": "+"}}}, session)
    answered += b'"result"' in body
print(answered)

#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_http and fuzz_commands (tests/fuzz/README.md).

corpus/fuzz_http/: one real HTTP request per file, for every route of a
role-all node (GET and POST, with and without tokens, bad JSON, bad
percent-encoding, huge headers, chunked bodies).
corpus/fuzz_commands/: one byte choosing the command type (its index in the
bus's sorted CommandTypes()), then the JSON body.

Run from anywhere: python3 tests/fuzz/make_request_seeds.py. It rewrites
both folders; the inputs are deterministic, so a rerun changes nothing.
"""
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN = "fuzz-admin-token-0123456789"  # tokens of tests/fuzz/fuzz_http.cc
READER = "fuzz-query-token-0123456789"

# CommandBus::CommandTypes() of the example domains, sorted by name.
COMMAND_TYPES = ["AddItem", "CancelOrder", "CloseAccount", "ConfirmOrder", "Deposit",
                 "OpenAccount", "PlaceOrder", "ShipOrder", "Transfer", "Withdraw"]

ITEM = '{"sku":"tea","name":"Green tea","qty":2,"price":450,"currency":"EUR"}'
COMMANDS = {
    "OpenAccount": ['{"account":"a3","owner":"Cy"}', '{"account":"a1","owner":"Ada"}',
                    '{"account":"","owner":"x"}', '{"account":"a3"}'],
    "Deposit": ['{"account":"a1","currency":"EUR","amount":500}',
                '{"account":"a1","currency":"eur","amount":-1}',
                '{"account":"a1","currency":"EUR","amount":9223372036854775807}'],
    "Withdraw": ['{"account":"a1","currency":"EUR","amount":10}',
                 '{"account":"a1","currency":"USD","amount":1}'],
    "CloseAccount": ['{"account":"a2"}', '{"account":"nobody"}'],
    "Transfer": ['{"from":"a1","to":"a2","currency":"EUR","amount":100}',
                 '{"from":"a1","to":"a2","currency":"EUR","amount":100,"transfer":"t1"}',
                 '{"from":"a1","to":"a1","currency":"EUR","amount":1}'],
    "PlaceOrder": ['{"order":"o2","customer":"Dan","items":[%s]}' % ITEM,
                   '{"order":"o3","customer":"Dan","items":[]}',
                   '{"order":"o2","customer":"Dan","items":[{"sku":"x"}]}'],
    "AddItem": ['{"order":"o1","item":%s}' % ITEM,
                '{"order":"o1","item":{"sku":"c","name":"C","qty":1,"price":1,"currency":"USD"}}'],
    "ConfirmOrder": ['{"order":"o1"}', '{"order":"nope"}'],
    "ShipOrder": ['{"order":"o1"}'],
    "CancelOrder": ['{"order":"o1","reason":"changed my mind"}', '{"order":"o1"}'],
}


def request(method, target, body=None, token=ADMIN, headers=(), content_type="application/json",
            host="127.0.0.1"):
    lines = ["%s %s HTTP/1.1" % (method, target)]
    if host is not None:
        lines.append("Host: " + host)
    if token:
        lines.append("Authorization: Bearer " + token)
    lines.extend(headers)
    data = b""
    if body is not None:
        data = body.encode() if isinstance(body, str) else body
        if content_type is not None:
            lines.append("Content-Type: " + content_type)
        lines.append("Content-Length: %d" % len(data))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def http_seeds():
    seeds = {}
    for type_name, bodies in COMMANDS.items():
        for i, body in enumerate(bodies):
            seeds["command_%s_%d" % (type_name, i)] = request("POST", "/commands/" + type_name, body)
    seeds["command_idempotent"] = request(
        "POST", "/commands/Deposit", COMMANDS["Deposit"][0],
        headers=["Idempotency-Key: 7f3c2a9e-1b4d-4c8e"])
    seeds["command_bad_json"] = request("POST", "/commands/Deposit", '{"account":"a1",')
    seeds["command_unknown_type"] = request("POST", "/commands/Nope", "{}")
    seeds["command_no_token"] = request("POST", "/commands/Deposit", COMMANDS["Deposit"][0],
                                        token=None)
    seeds["command_reader_token"] = request("POST", "/commands/Deposit",
                                            COMMANDS["Deposit"][0], token=READER)
    seeds["command_bad_token"] = request("POST", "/commands/Deposit", "{}",
                                         token="not-a-token-at-all-xx")
    seeds["command_chunked"] = (
        b"POST /commands/OpenAccount HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
        ADMIN.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"10\r\n{\"account\":\"c1\",\r\n10\r\n\"owner\":\"Chunk\"}\r\n0\r\n\r\n")
    seeds["append"] = request(
        "POST", "/streams/s-1",
        '[{"type":"Noted","data":{"n":1},"metadata":{"by":"fuzz"},'
        '"id":"0f8fad5b-d9cb-469f-a165-70867728950e"}]',
        headers=["Expected-Version: no_stream"])
    seeds["append_expected_number"] = request("POST", "/streams/s-1", '[{"type":"T","data":1}]',
                                              headers=["Expected-Version: 0"])
    seeds["append_bad_events"] = request("POST", "/streams/s-1", '[{"data":1},2]')
    seeds["append_bad_stream"] = request("POST", "/streams/%24bad%20name", '[{"type":"T","data":1}]')
    for query, params in [("balance", "account=a1"), ("accounts", "owner=Ada&limit=2"),
                          ("statement", "account=a1&limit=20"), ("search-accounts", "q=ada"),
                          ("volume", "currency=EUR&bucket=day"), ("order-status", "order=o1"),
                          ("orders", "customer=Carol&status=placed"),
                          ("search-orders", "q=tea&status=placed"),
                          ("revenue", "currency=EUR&bucket=month"),
                          ("balance", "account=a1&min_position=1&timeout_ms=0"),
                          ("balance", "account=a1&min_position=99999"),
                          ("accounts", "cursor=%ZZ"), ("statement", "account=a1&cursor=abc"),
                          ("nope", "x=1")]:
        name = "query_%s_%d" % (query, len(seeds))
        seeds[name] = request("GET", "/queries/%s?%s" % (query, params), token=READER)
    seeds["query_no_token"] = request("GET", "/queries/balance?account=a1", token=None)
    seeds["read_stream"] = request("GET", "/streams/account-a1?from=0&limit=10&direction=forward")
    seeds["read_stream_backward"] = request("GET", "/streams/account-a1?direction=backward")
    seeds["read_stream_missing"] = request("GET", "/streams/none?limit=0")
    seeds["read_all"] = request("GET", "/events?from=1&limit=3")
    seeds["read_all_bad"] = request("GET", "/events?from=x&limit=100000")
    seeds["feed"] = request("GET", "/events/live?from=2", headers=["Accept: text/event-stream"])
    seeds["feed_last_event_id"] = request("GET", "/events/live", headers=["Last-Event-ID: 3"])
    seeds["projections"] = request("GET", "/projections")
    seeds["rebuild"] = request("POST", "/projections/ledger-accounts/rebuild")
    seeds["rebuild_unknown"] = request("POST", "/projections/nope/rebuild")
    seeds["health"] = request("GET", "/health", token=None)
    seeds["ready"] = request("GET", "/ready", token=None)
    seeds["metrics"] = request("GET", "/metrics")
    seeds["openapi"] = request("HEAD", "/openapi.json", token=None)
    seeds["method_not_allowed"] = request("DELETE", "/commands/Deposit")
    seeds["no_route"] = request("GET", "/no/such/route")
    seeds["huge_header"] = request("GET", "/health", headers=["X-Big: " + "a" * 5000])
    seeds["huge_body"] = request("POST", "/commands/Deposit", "x" * (70 << 10))
    seeds["not_http"] = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
    seeds["partial_body"] = request("POST", "/commands/Deposit", "{}")[:-1]
    # Browser safety and conformance headers (docs/http-api.md): the fuzz
    # node allows origin https://app.example and is bound to loopback.
    deposit = COMMANDS["Deposit"][0]
    seeds["cross_site_form"] = request("POST", "/commands/Deposit", deposit, content_type="text/plain",
                                       headers=["Origin: https://evil.example"])
    seeds["no_content_type"] = request("POST", "/commands/Deposit", deposit, content_type=None)
    seeds["json_charset"] = request("POST", "/commands/Deposit", deposit,
                                    content_type="application/json; charset=utf-8")
    seeds["allowed_origin"] = request("POST", "/commands/Deposit", deposit,
                                      headers=["Origin: https://app.example"])
    seeds["same_origin"] = request("POST", "/commands/Deposit", deposit,
                                   headers=["Origin: http://127.0.0.1"])
    seeds["rebinding_host"] = request("POST", "/commands/Deposit", deposit,
                                      host="attacker.example:8080")
    seeds["localhost_host"] = request("GET", "/health", token=None, host="app.localhost:80")
    seeds["no_host"] = request("GET", "/health", token=None, host=None)
    seeds["http10_no_host"] = b"GET /health HTTP/1.0\r\n\r\n"
    seeds["preflight"] = request("OPTIONS", "/commands/Deposit", token=None, headers=[
        "Origin: https://app.example", "Access-Control-Request-Method: POST",
        "Access-Control-Request-Headers: content-type, authorization"])
    seeds["options_star"] = b"OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n"
    seeds["head_feed"] = request("HEAD", "/events/live")
    seeds["head_query"] = request("HEAD", "/queries/balance?account=a1", token=READER)
    seeds["expect_continue"] = request("POST", "/commands/Deposit", deposit,
                                       headers=["Expect: 100-continue"])
    seeds["expect_continue_refused"] = request(
        "POST", "/commands/Deposit", content_type="text/plain",
        headers=["Expect: 100-continue", "Content-Length: 30"])
    seeds["gzip_events"] = request("GET", "/events?limit=100",
                                   headers=["Accept-Encoding: br;q=1, gzip;q=0.5, *;q=0"])
    seeds["if_none_match"] = request("GET", "/queries/balance?account=a1", token=READER,
                                     headers=['If-None-Match: W/"x-1-00", *'])
    # The web console's files (AddConsoleRoutes) and the names it refuses.
    seeds["console_redirect"] = request("GET", "/ui", token=None)
    seeds["console_index"] = request("GET", "/ui/", token=None, headers=["Accept-Encoding: gzip"])
    seeds["console_module"] = request("HEAD", "/ui/app.js", token=None,
                                      headers=['If-None-Match: "0123456789abcdef"'])
    seeds["console_dot_dot"] = request("GET", "/ui/..%2f..%2fetc%2fpasswd", token=None)
    seeds["console_nul"] = request("GET", "/ui/app.js%00.html", token=None)
    return seeds


def command_seeds():
    seeds = {}
    for type_name, bodies in COMMANDS.items():
        index = COMMAND_TYPES.index(type_name)
        for i, body in enumerate(bodies):
            seeds["%s_%d" % (type_name, i)] = bytes([index]) + body.encode()
    seeds["not_json"] = bytes([4]) + b"{\"account\":"
    seeds["not_object"] = bytes([5]) + b"[1,2]"
    seeds["unknown_field"] = bytes([5]) + b'{"account":"a9","owner":"x","extra":1}'
    return seeds


def write(name, seeds):
    folder = os.path.join(HERE, "corpus", name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for file_name, data in sorted(seeds.items()):
        with open(os.path.join(folder, file_name), "wb") as out:
            out.write(data)
    print("%s: %d seeds" % (folder, len(seeds)))


if __name__ == "__main__":
    write("fuzz_http", http_seeds())
    write("fuzz_commands", command_seeds())

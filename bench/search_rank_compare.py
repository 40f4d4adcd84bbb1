#!/usr/bin/env python3
"""Times FTS5's own ranking against the search store's candidate walk.

  bench/search_rank_compare.py [--runs N] STORE_DB [QUERY ...]

STORE_DB is a search store's store.db (e.g. under the readstores/ folder of
a `duet bench queries` data folder). "full": FTS5's ORDER BY rank (bm25) over
every match, best 20: what Search did before read store format 2.
"walk": the SQL part of Search now, the first 256 matches in rowid order
(the newest: ids go down) with their text; the store then tokenizes and scores
those in C++ (src/readstore/sqlite_search_store.cc), which this script does
not time. Queries are FTS5 expressions. Prints one JSON line per query and
way: matches, median and p99 of N runs (default 200) in ms. Read-only.
"""
import json
import sqlite3
import statistics
import sys
import time

FULL = ("SELECT d.key, d.doc, bm25(search_fts) AS rank FROM search_fts "
        "JOIN search_docs AS d ON d.id = search_fts.rowid WHERE search_fts MATCH ?1 "
        "ORDER BY rank, d.key LIMIT 20")
WALK = ("SELECT d.key, d.doc, d.body FROM search_fts "
        "JOIN search_docs AS d ON d.id = search_fts.rowid WHERE search_fts MATCH ?1 "
        "ORDER BY search_fts.rowid LIMIT 256")


def timed(db, sql, match, runs):
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        db.execute(sql, (match,)).fetchall()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main():
    args = sys.argv[1:]
    runs = 200
    if args[:1] == ["--runs"]:
        runs = int(args[1])
        args = args[2:]
    path = args[0]
    queries = args[1:] or ['"chocolate"', '"chocolate"*', '"customer" AND "123"*']
    db = sqlite3.connect("file:" + path + "?mode=ro", uri=True)
    docs = db.execute("SELECT count(*) FROM search_docs").fetchone()[0]
    for match in queries:
        matches = db.execute("SELECT count(*) FROM search_fts WHERE search_fts MATCH ?1",
                             (match,)).fetchone()[0]
        for way, sql in (("full", FULL), ("walk", WALK)):
            p50, p99 = timed(db, sql, match, runs)
            print(json.dumps({"docs": docs, "query": match, "matches": matches, "way": way,
                              "p50_ms": round(p50, 3), "p99_ms": round(p99, 3)}))


if __name__ == "__main__":
    main()

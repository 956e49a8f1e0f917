#!/usr/bin/env python3
"""Runs SQL over portclass's Parquet tables with DuckDB, for the Parquet
tests (tests/cli/parquet.rs): one process for a whole batch of queries.

Usage: run-sql.py QUERIES.json
QUERIES.json: {"name": "SELECT ...", ...}
Prints {"name": [[value, ...], ...], ...}: each query's rows, numbers as
numbers (DuckDB's HUGEINT sums as plain integers), strings and booleans as
themselves, lists as lists, NULL as null, anything else (timestamps) as its
text.
Exits 3 when duckdb is not installed (the tests then skip, saying so); 1
when a query fails, naming it.
"""
import json
import sys

try:
    import duckdb
except ImportError:
    sys.stderr.write("duckdb is not installed (pip install duckdb)\n")
    sys.exit(3)


def plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value)


def main():
    with open(sys.argv[1]) as f:
        queries = json.load(f)
    con = duckdb.connect()
    results = {}
    for name, sql in queries.items():
        try:
            rows = con.execute(sql).fetchall()
        except Exception as e:  # noqa: BLE001 - reported with the query
            sys.stderr.write(f"{name}: {e}\n{sql}\n")
            sys.exit(1)
        results[name] = [[plain(v) for v in row] for row in rows]
    json.dump(results, sys.stdout)


main()

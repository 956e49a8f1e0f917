#!/usr/bin/env python3
"""Builds the small MaxMind-format databases the --geoip tests use, with
mmdb-writer (PyPI: mmdb-writer, which needs netaddr), the way MaxMind's own
GeoLite2-Country and GeoLite2-ASN files are laid out: an IPv6 tree with
IPv4 under ::/96, countries as {"country": {"iso_code": ...}}, networks as
{"autonomous_system_number": uint32, "autonomous_system_organization": str}.

Usage: make-test-mmdb.py SPEC.json OUTDIR
SPEC.json: {"country": {"10.77.6.0/24": "NL", ...},
            "asn": {"10.77.6.0/24": [64500, "Example Net"], ...}}
Writes OUTDIR/test-country.mmdb and OUTDIR/test-asn.mmdb. Exits 3 when
mmdb-writer is not installed (the tests then skip, saying so).
"""
import json
import sys

try:
    from mmdb_writer import MMDBWriter, MmdbU32
    from netaddr import IPSet
except ImportError:
    sys.stderr.write("mmdb-writer is not installed (pip install mmdb-writer)\n")
    sys.exit(3)


def main():
    spec = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    country = MMDBWriter(ip_version=6, ipv4_compatible=True,
                         database_type="GeoLite2-Country", languages=["en"],
                         description="portclass test countries")
    for network, code in spec.get("country", {}).items():
        country.insert_network(IPSet([network]), {"country": {"iso_code": code}})
    country.to_db_file(f"{out}/test-country.mmdb")
    asn = MMDBWriter(ip_version=6, ipv4_compatible=True,
                     database_type="GeoLite2-ASN", languages=["en"],
                     description="portclass test networks")
    for network, (number, org) in spec.get("asn", {}).items():
        asn.insert_network(IPSet([network]), {
            "autonomous_system_number": MmdbU32(number),
            "autonomous_system_organization": org,
        })
    asn.to_db_file(f"{out}/test-asn.mmdb")


if __name__ == "__main__":
    main()

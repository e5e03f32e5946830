"""scripts/report RESULTS.json... -o DIR: figures, index.html and summary.md."""

import argparse
import os
import sys

from reports.load import ReportError, load_all
from reports.page import write_page
from reports.points import collect_points
from reports.scaling import draw_family
from reports.summary import html_table, markdown


def build_report(paths, out_dir):
    result_sets = load_all(paths)
    points = collect_points(result_sets)
    os.makedirs(out_dir, exist_ok=True)
    sections = []
    for family in sorted({p.family for p in points}):
        png = draw_family(family, [p for p in points if p.family == family],
                          os.path.join(out_dir, f"{family}-throughput"))
        if png:
            sections.append((f"{family}: throughput vs threads", png))
    with open(os.path.join(out_dir, "summary.md"), "w", encoding="utf-8") as f:
        f.write(markdown(points))
    return write_page(out_dir, result_sets, sections, html_table(points))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="scripts/report", description=__doc__)
    parser.add_argument("results", nargs="+", help="lockbench results files (JSON)")
    parser.add_argument("-o", "--out", required=True, help="directory for the report")
    args = parser.parse_args(argv)
    try:
        index = build_report(args.results, args.out)
    except ReportError as e:
        print(f"report: {e}", file=sys.stderr)
        return 2
    print(index)
    return 0

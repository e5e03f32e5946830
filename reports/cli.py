"""Reports from lockbench results files.

  scripts/report RESULTS.json... -o DIR              figures, index.html, summary.md
  scripts/report compare BASELINE CANDIDATE -o DIR   per-point changes; exit 1 on a regression
  scripts/report arch A.json B.json... -o DIR        one sweep from several machines
"""

import argparse
import os
import sys

from reports.arch import write_arch
from reports.compare import write_comparison
from reports.headline import html_summary, markdown_summary
from reports.load import ReportError, family_report, file_names, load_all, load_results
from reports.machine import fastest_handoff_ns, handoff_figure
from reports.page import write_page
from reports.points import collect_points
from reports.scaling import family_figures
from reports.summary import html_table, markdown


def build_report(paths, out_dir):
    result_sets = load_all(paths)
    points = collect_points(result_sets)
    os.makedirs(out_dir, exist_ok=True)
    sections = []
    handoff_ns = fastest_handoff_ns(result_sets)
    for family in sorted({p.family for p in points}):
        sections += family_figures(family, [p for p in points if p.family == family], out_dir,
                                   family_report(result_sets, family),
                                   sources=file_names(result_sets), handoff_ns=handoff_ns)
    for i, rs in enumerate(result_sets):
        heatmap = handoff_figure(rs, out_dir, f"handoff-{i}")
        if heatmap:
            sections.append(heatmap)
    with open(os.path.join(out_dir, "summary.md"), "w", encoding="utf-8") as f:
        f.write(markdown_summary(points) + "\n" + markdown(points))
    return write_page(out_dir, result_sets, sections, html_table(points),
                      summary_html=html_summary(points))


def fraction(text):
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction in [0, 1)")
    return value


def run_compare(argv):
    parser = argparse.ArgumentParser(prog="scripts/report compare",
                                     description="per-point changes between two results files")
    parser.add_argument("baseline")
    parser.add_argument("candidate")
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--threshold", type=fraction, default=0.10,
                        help="minimum relative change that counts (default 0.10)")
    parser.add_argument("--alpha", type=fraction, default=0.05,
                        help="significance level of the Mann-Whitney U test (default 0.05)")
    parser.add_argument("--latency-floor-ns", type=float, default=100.0,
                        help="smallest p99 latency change that counts, ns (default 100)")
    args = parser.parse_args(argv)
    comparison, text = write_comparison(load_results(args.baseline), load_results(args.candidate),
                                        args.out, args.threshold, args.alpha,
                                        args.latency_floor_ns)
    print(text, end="")
    print(os.path.join(args.out, "index.html"))
    return 1 if comparison.regressed else 0


def run_arch(argv):
    parser = argparse.ArgumentParser(prog="scripts/report arch",
                                     description="one sweep from several machines, side by side")
    parser.add_argument("results", nargs="+")
    parser.add_argument("-o", "--out", required=True)
    args = parser.parse_args(argv)
    if len(args.results) < 2:
        parser.error("arch needs results files from at least two machines")
    print(write_arch(load_all(args.results), args.out))
    return 0


def run_report(argv):
    parser = argparse.ArgumentParser(prog="scripts/report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", help="lockbench results files (JSON)")
    parser.add_argument("-o", "--out", required=True, help="directory for the report")
    args = parser.parse_args(argv)
    print(build_report(args.results, args.out))
    return 0


SUBCOMMANDS = {"compare": run_compare, "arch": run_arch}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    command = SUBCOMMANDS.get(argv[0], run_report) if argv else run_report
    try:
        return command(argv[1:] if command is not run_report else argv)
    except ReportError as e:
        print(f"report: {e}", file=sys.stderr)
        return 2

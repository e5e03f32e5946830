"""Reports from lockbench results files.

  scripts/report RESULTS.json... -o DIR              figures, index.html, summary.md
  scripts/report compare BASELINE CANDIDATE -o DIR   per-point changes; exit 1 on a regression
  scripts/report compare --history DB CANDIDATE -o DIR  the same against recent runs of the machine
  scripts/report history add RESULTS.json... --db DB  record runs in a SQLite history
  scripts/report history merge A.db B.db... -o DB    join histories of several machines
  scripts/report history plot --db DB -o DIR         trends over commits, change points
  scripts/report arch A.json B.json... -o DIR        one sweep from several machines
  scripts/report arch --history DB -o DIR [--config NAME]  the same, each machine's latest run
  scripts/report fit RESULTS.json... [--json]        the scaling law of each curve, printed

Exit status: 0 done (no regression); 1 a regression; 2 bad usage or an input
that cannot be used (named, with why); 3 the report could not be written
(a full disk, -o naming a file; the output directory is left as it was), or
a defect of the report (with its traceback); 4 compare judged nothing (no
point shared with the baseline, or none with enough history): no verdict.
"""

import argparse
import json
import os
import sqlite3
import sys
import traceback

from reports.arch import machine_names, write_arch
from reports import fit_table
from reports.fits import fit_curves
from reports import history
from reports.compare import write_comparison
from reports.gate import MIN_HISTORY, GateSettings, write_history_gate
from reports.headline import html_summary, markdown_summary
from reports.history_merge import merge_histories
from reports.history_results import latest_runs
from reports.load import ReportError, family_report, file_names, load_all, load_results
from reports.machine import fastest_handoff_ns, handoff_figure, thread_boundaries
from reports.output import OutputError, report_dir
from reports.page import write_page
from reports.points import collect_points
from reports.scaling import family_figures
from reports.summary import html_table, markdown
from reports.trend import write_trends
from reports.verdicts import html_sentences, sentences


REGRESSION, BAD_INPUT, NOT_WRITTEN, NOTHING_COMPARED = 1, 2, 3, 4


def build_report(paths, out_dir):
    """Writes the report of results files into out_dir; returns the path of
    its index.html."""
    return write_report(load_all(paths), out_dir)


def write_report(result_sets, out_dir):
    points = collect_points(result_sets)
    curves = fit_curves(result_sets, machine_names(result_sets))
    os.makedirs(out_dir, exist_ok=True)
    sections = []
    handoff_ns = fastest_handoff_ns(result_sets)
    boundaries = thread_boundaries(result_sets)
    fits = {c.key: c for c in curves}
    for family in sorted({p.family for p in points}):
        sections += family_figures(family, [p for p in points if p.family == family], out_dir,
                                   family_report(result_sets, family),
                                   sources=file_names(result_sets), handoff_ns=handoff_ns,
                                   boundaries=boundaries, fits=fits)
    for i, rs in enumerate(result_sets):
        heatmap = handoff_figure(rs, out_dir, f"handoff-{i}")
        if heatmap:
            sections.append(heatmap)
    told = sentences(points, curves).values()
    with open(os.path.join(out_dir, "summary.md"), "w", encoding="utf-8") as f:
        f.write("".join(f"{s}\n\n" for s in told) + markdown_summary(points) + "\n"
                + markdown(points))
    laws = ("<h3>Scaling laws</h3><p>Each curve within the CPUs, fitted with the Universal "
            "Scalability Law (95% intervals; docs/scaling-laws.md):</p>"
            + fit_table.html_table(curves)) if curves else ""
    return write_page(out_dir, result_sets, sections, html_table(points),
                      summary_html=html_sentences(points, curves) + laws + html_summary(points))


def fraction(text):
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction in [0, 1)")
    return value


def run_compare(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/report compare",
        description="per-point changes between two results files, or of one results file "
                    "against the recent history of the same machine (--history)",
        usage="scripts/report compare (BASELINE CANDIDATE | --history DB CANDIDATE) -o DIR")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--threshold", type=fraction, default=0.10,
                        help="minimum relative change that counts (default 0.10)")
    parser.add_argument("--alpha", type=fraction, default=0.05,
                        help="significance level of the Mann-Whitney U test (default 0.05)")
    parser.add_argument("--latency-floor-ns", type=float, default=100.0,
                        help="smallest p99 latency change that counts, ns (default 100)")
    parser.add_argument("--history", metavar="DB",
                        help="a history database (scripts/report history add): the baseline is "
                             "each point's last runs on the same machine")
    parser.add_argument("--last", type=int, default=10,
                        help="with --history: how many recent runs form the baseline (default 10)")
    parser.add_argument("--branch", default="main",
                        help="with --history: the branch whose runs form the baseline "
                             "(default main; '' for all)")
    parser.add_argument("--host", help="with --history: the host name the history knows this "
                                       "machine by (an ephemeral CI runner's changes)")
    parser.add_argument("--oversubscribed", action="store_true",
                        help="with --history: gate oversubscribed points too (their spread "
                             "between runs is the scheduler's)")
    parser.add_argument("--z-limit", type=float, default=4.0,
                        help="with --history: how unusual, in robust z, a change must be "
                             "(default 4)")
    parser.add_argument("--recheck", nargs="+", metavar="RESULTS", default=[],
                        help="with --history: results that measured the regressed points again "
                             "(the selections in OUT/recheck.txt); a regression counts only if "
                             "it shows again")
    args = parser.parse_args(argv)
    if args.history:
        if len(args.files) != 1:
            parser.error("with --history, give one candidate results file")
        if args.last < MIN_HISTORY:
            parser.error(f"--last {args.last}: allowed: at least {MIN_HISTORY}")
        settings = GateSettings(args.threshold, args.z_limit, args.last, args.branch, args.host,
                                args.oversubscribed)
        db = history.connect(args.history)
        candidate = load_results(args.files[0])
        rechecks = [load_results(path) for path in args.recheck]
        with report_dir(args.out) as staging:
            gate = write_history_gate(db, args.history, candidate, staging.path, settings,
                                      rechecks)
        print(gate.text, end="")
        return NOTHING_COMPARED if not gate.judged else REGRESSION if gate.regressed else 0
    if len(args.files) != 2:
        parser.error("give a baseline and a candidate results file (or --history DB)")
    if args.recheck:
        parser.error("--recheck goes with --history")
    baseline, candidate = load_results(args.files[0]), load_results(args.files[1])
    with report_dir(args.out) as staging:
        comparison, text = write_comparison(baseline, candidate, staging.path, args.threshold,
                                            args.alpha, args.latency_floor_ns)
    print(text, end="")
    print(os.path.join(args.out, "index.html"))
    if not comparison.judged:
        return NOTHING_COMPARED
    return REGRESSION if comparison.regressed else 0


def run_history(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/report history",
        description="a history of runs in SQLite: add results files, merge the histories of "
                    "several machines, plot each point over them")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="record results files (adding one twice adds nothing)")
    add.add_argument("results", nargs="+")
    add.add_argument("--db", required=True)
    add.add_argument("--branch", default="", help="the branch the runs are of (e.g. main)")
    add.add_argument("--host", help="record this host name instead of the file's (an ephemeral "
                                    "CI runner's); CPU and arch still keep machines apart")
    merge = commands.add_parser("merge", help="join histories of other machines into one "
                                              "(merging one twice adds nothing)")
    merge.add_argument("histories", nargs="+", metavar="HISTORY")
    merge.add_argument("-o", "--out", required=True, metavar="DB",
                       help="the history to merge into: made if absent, or added to (it may "
                            "be one of the inputs)")
    plot = commands.add_parser("plot", help="trend figures and change points, index.html")
    plot.add_argument("--db", required=True)
    plot.add_argument("-o", "--out", required=True)
    plot.add_argument("--machine", help="only this machine's series")
    plot.add_argument("--branch", default="", help="only this branch's runs")
    plot.add_argument("--config", help="only this config's runs (default: the config run last)")
    plot.add_argument("--x", choices=("commit", "date"), default="commit",
                      help="x axis: the runs in date order labelled by commit (default), or "
                           "their dates")
    plot.add_argument("--min-effect", type=fraction, default=0.10,
                      help="smallest shift that is a change point (default 0.10)")
    plot.add_argument("--alpha", type=fraction, default=0.05,
                      help="significance level of a change point (default 0.05)")
    args = parser.parse_args(argv)
    if args.command == "add":
        db = history.connect(args.db, create=True)
        for path in args.results:
            print(f"{path}: {history.add(db, path, args.branch, args.host)}")
        return 0
    if args.command == "merge":
        for path, said in merge_histories(args.histories, args.out):
            if said is None:
                print(f"{path}: the history merged into; nothing to add")
            else:
                print(f"{path}: " + (", ".join(f"{n} {what}" for what, n in sorted(said.items()))
                                     or "no runs"))
        db = history.connect(args.out)
        print(f"{args.out}: {history.run_count(db)} run(s) of "
              + "; ".join(history.machines(db)))
        return 0
    db = history.connect(args.db)
    if args.machine and args.machine not in history.machines(db):
        raise ReportError(f"--machine {args.machine!r}: not in {args.db}; allowed: "
                          + ", ".join(repr(m) for m in history.machines(db)))
    known = history.configs(db)
    if args.config and args.config not in known:
        raise ReportError(f"--config {args.config!r}: not in {args.db}; allowed: "
                          + ", ".join(repr(c) for c in known))
    config = args.config or (known[-1] if known else None)
    series = history.series(db, args.machine, args.branch or None, kinds=("global", "scalable"),
                            config=config)
    if not series:
        raise ReportError(f"{args.db}: no runs to plot")
    every_point = history.series(db, args.machine, args.branch or None, config=config)
    states = {machine: history.machine_states(every_point, machine)
              for machine in {m for (m, _, _) in series}}
    with report_dir(args.out) as staging:
        index, shifts = write_trends(series, staging.path, args.min_effect, args.alpha, states,
                                     by_date=args.x == "date")
        index = staging.final(index)
    for s in shifts:
        print(f"change point: {s.name} on {s.machine} at run {s.index + 1} "
              f"(commit {s.commit[:7]}): "
              f"{s.before:.4g} -> {s.after:.4g} ({s.change:+.1%}, p {s.p_value:.3g})"
              + (", oversubscribed" if s.oversubscribed else ""))
    print(f"runs of config {config!r}; {index}")
    return 0


def run_arch(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/report arch", description="one sweep from several machines, side by side",
        usage="scripts/report arch (A.json B.json... | --history DB [--config NAME]) -o DIR")
    parser.add_argument("results", nargs="*")
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--history", metavar="DB",
                        help="draw each machine's latest run of a config in this history")
    parser.add_argument("--config", help="with --history: the config whose runs to draw (needed "
                                         "when the history holds runs of several)")
    args = parser.parse_args(argv)
    if args.history:
        if args.results:
            parser.error("give results files or --history DB, not both")
        result_sets = latest_runs(history.connect(args.history), args.history, args.config)
        if len(result_sets) < 2:
            raise ReportError(f"{args.history}: runs of config "
                              f"{history.config_of(result_sets[0])!r} from one machine; allowed: "
                              "runs of at least two machines ('history merge' joins histories)")
    else:
        if args.config:
            parser.error("--config goes with --history")
        if len(args.results) < 2:
            parser.error("arch needs results files from at least two machines")
        result_sets = load_all(args.results)
    with report_dir(args.out) as staging:
        index = staging.final(write_arch(result_sets, staging.path))
    print(index)
    return 0


def run_fit(argv):
    parser = argparse.ArgumentParser(
        prog="scripts/report fit",
        description="the Universal Scalability Law of each curve (a variant's throughput over "
                    "threads within the CPUs), with 95%% intervals, its peak, and whether the "
                    "law describes the curve (docs/scaling-laws.md)")
    parser.add_argument("results", nargs="+")
    parser.add_argument("--json", action="store_true", help="a JSON array, one object a curve")
    args = parser.parse_args(argv)
    result_sets = load_all(args.results)
    curves = fit_curves(result_sets, machine_names(result_sets))
    if args.json:
        print(json.dumps(fit_table.as_json(curves), indent=1))
    else:
        print(fit_table.text(curves), end="")
    return 0


def run_report(argv):
    parser = argparse.ArgumentParser(prog="scripts/report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", help="lockbench results files (JSON)")
    parser.add_argument("-o", "--out", required=True, help="directory for the report")
    args = parser.parse_args(argv)
    result_sets = load_all(args.results)
    with report_dir(args.out) as staging:
        index = staging.final(write_report(result_sets, staging.path))
    print(index)
    return 0


SUBCOMMANDS = {"compare": run_compare, "arch": run_arch, "history": run_history, "fit": run_fit}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    command = SUBCOMMANDS.get(argv[0], run_report) if argv else run_report
    try:
        return command(argv[1:] if command is not run_report else argv)
    except ReportError as e:
        print(f"report: {e}", file=sys.stderr)
        return BAD_INPUT
    except sqlite3.DatabaseError as e:  # damage the quick check on opening did not see
        if str(e) in history.MACHINE_FAILURES:
            print(f"report: the history could not be written ({e})", file=sys.stderr)
            return NOT_WRITTEN
        print(f"report: the history cannot be read ({e}); allowed: an intact history",
              file=sys.stderr)
        return BAD_INPUT
    except OutputError as e:
        print(f"report: {e}", file=sys.stderr)
        return NOT_WRITTEN
    except Exception:  # noqa: BLE001 - exit 1 of compare means a regression, not a crash
        traceback.print_exc()
        print("report: failed (the traceback above is a defect of the report)", file=sys.stderr)
        return NOT_WRITTEN

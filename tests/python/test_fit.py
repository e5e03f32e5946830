"""Scaling laws per curve (reports.usl, reports.fits, scripts/report fit) on
synthetic sweeps of known laws (tests/python/synthetic.py)."""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

import numpy as np
from scipy import stats

from reports import usl
from reports.cli import main
from reports.figures import Panel, panel_figure
from reports.fits import fit_curves
from reports.load import load_all
from reports.points import collect_points
from reports.scaling import FamilyPlot
from reports.verdicts import sentences
from tests.python import synthetic

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# sigma 0.05 and kappa 5e-4 peak at N* = sqrt(0.95 / 5e-4) = 43.6 threads.
TRUTH = dict(lam=1e7, sigma=0.05, kappa=5e-4)
N_STAR = np.sqrt((1 - TRUTH["sigma"]) / TRUTH["kappa"])


def noisy_sweep(seed, noise=0.04, repetitions=5):
    rng = np.random.default_rng(seed)
    return [usl.throughput(n, *TRUTH.values()) * np.exp(rng.normal(0, noise, repetitions))
            for n in synthetic.LADDER]


def report(*args):
    return subprocess.run([sys.executable, "-m", "reports", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


class LawTest(unittest.TestCase):
    def test_recovers_sigma_kappa_and_the_peak(self):
        law = usl.fit(synthetic.LADDER, noisy_sweep(seed=1))
        self.assertAlmostEqual(law.sigma, TRUTH["sigma"], delta=0.01)
        self.assertAlmostEqual(law.kappa / TRUTH["kappa"], 1, delta=0.2)
        self.assertAlmostEqual(law.lam / TRUTH["lam"], 1, delta=0.05)
        n_star, interval, x_star = law.peak()
        self.assertAlmostEqual(n_star / N_STAR, 1, delta=0.1)
        self.assertLess(interval[0], N_STAR)
        self.assertGreater(interval[1], N_STAR)
        self.assertAlmostEqual(x_star / usl.throughput(N_STAR, *TRUTH.values()), 1, delta=0.05)
        self.assertIsNone(usl.lack_of_fit(synthetic.LADDER[:3], noisy_sweep(1)[:3], law))

    def test_intervals_hold_the_truth_in_about_95_percent_of_sweeps(self):
        # Each parameter's interval holds the truth in a Binomial(SEEDS, 0.95)
        # count of sweeps if the intervals are right; fewer than its 0.1%
        # quantile (52 of 60) says they are too narrow. The seeds are fixed,
        # so the count does not change between runs.
        seeds = 60
        held = np.zeros(3)
        for seed in range(seeds):
            law = usl.fit(synthetic.LADDER, noisy_sweep(seed=100 + seed), resamples=60,
                          seed=seed)
            for i, name in enumerate(usl.NAMES):
                low, high = law.interval(name)
                held[i] += low <= list(TRUTH.values())[i] <= high
        least = stats.binom.ppf(0.001, seeds, 0.95)
        for name, count in zip(usl.NAMES, held):
            self.assertGreaterEqual(count, least, f"{name}: {count} of {seeds}")

    def test_no_peak_is_shown_where_kappa_may_be_zero(self):
        rng = np.random.default_rng(3)
        reps = [usl.throughput(n, 1e7, 0.05, 0) * np.exp(rng.normal(0, 0.04, 5))
                for n in synthetic.LADDER]
        law = usl.fit(synthetic.LADDER, reps)
        self.assertIsNone(law.peak())

    def test_one_repetition_gives_no_interval(self):
        law = usl.fit(synthetic.LADDER, noisy_sweep(seed=2, repetitions=1))
        self.assertIsNone(law.interval("sigma"))
        self.assertIsNone(law.band([1, 2]))
        self.assertIsNone(usl.lack_of_fit(synthetic.LADDER, noisy_sweep(2, repetitions=1), law))


class CurveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        ticket = synthetic.cliff(synthetic.law(2e7, 0.3, 0.004), after=32, factor=0.6)
        cls.path = synthetic.write(os.path.join(cls.dir, "box.json"), synthetic.results(
            {("ticket", "global"): ticket, ("mcs", "scalable"): synthetic.law(**TRUTH)}, seed=5))
        cls.curves = {c.variant: c for c in fit_curves(load_all([cls.path]), resamples=100)}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def test_a_curve_the_law_describes_fits(self):
        mcs = self.curves["mcs"]
        self.assertTrue(mcs.fits, mcs.reason)
        self.assertEqual(mcs.threads, list(synthetic.LADDER))
        self.assertAlmostEqual(mcs.law.peak()[0] / N_STAR, 1, delta=0.1)

    def test_a_cliff_is_refused_and_named_where_it_is(self):
        ticket = self.curves["ticket"]
        self.assertFalse(ticket.fits)
        self.assertIn("the law does not describe it: throughput falls", ticket.reason)
        self.assertIn("from 32 to 48 threads (crossing 32: one package, one NUMA node)",
                      ticket.reason)

    def test_the_law_within_the_first_boundary_and_the_loss_across_each(self):
        ticket = self.curves["ticket"]
        self.assertEqual((ticket.inner.threads, ticket.inner.what), (16, "one L3 cache"))
        self.assertAlmostEqual(ticket.inner.law.sigma, 0.3, delta=0.05)
        package = [x for x in ticket.crossings if x.threads == 32][0]
        self.assertEqual(package.past, 48)
        self.assertAlmostEqual(package.change, -0.4, delta=0.05)
        self.assertLess(package.interval[0], -0.4)
        self.assertGreater(package.interval[1], -0.4)
        cache = [x for x in ticket.crossings if x.threads == 16][0]
        self.assertLess(cache.interval[0], 0)
        self.assertGreater(cache.interval[1], 0)

    def test_too_few_counts_within_the_cpus(self):
        # A 2-CPU machine: 4 and 8 threads oversubscribe.
        doc = synthetic.results({("ticket", "global"): synthetic.law(**TRUTH)},
                                threads=(1, 2, 4, 8), cpus=2)
        path = synthetic.write(os.path.join(self.dir, "small.json"), doc)
        [curve] = fit_curves(load_all([path]))
        self.assertFalse(curve.fits)
        self.assertEqual(curve.reason, "too few thread counts within the CPUs to fit (2)")
        self.assertEqual(curve.crossings, [])

    def test_the_sentence_names_only_material_changes_across_a_boundary(self):
        # No cliff here: the law within one L3 cache, carried on to 24
        # threads, is 7% off (95% 2-12%), told from none but not material.
        doc = synthetic.results({("ticket", "global"): synthetic.law(1.2e7, 0.40, 0.008),
                                 ("mcs", "scalable"): synthetic.law(1.0e7, 0.03, 2.5e-4)},
                                seed=11)
        path = synthetic.write(os.path.join(self.dir, "smooth.json"), doc)
        result_sets = load_all([path])
        curves = fit_curves(result_sets)
        [ticket] = [c for c in curves if c.variant == "ticket"]
        [cache] = [x for x in ticket.crossings if x.threads == 16]
        self.assertGreater(cache.interval[0], 0)  # what the sentence must not claim
        [sentence] = sentences(collect_points(result_sets), curves).values()
        self.assertNotIn("crossing one L3 cache", sentence)

    def small_machine_pair(self):
        """A global/scalable pair on a 2-CPU machine: 4 threads oversubscribe."""
        doc = synthetic.results({("ticket", "global"): synthetic.law(**TRUTH),
                                 ("mcs", "scalable"): synthetic.law(**TRUTH)},
                                threads=(1, 2, 4), cpus=2)
        return synthetic.write(os.path.join(self.dir, "small-pair.json"), doc)

    def test_a_small_machine_says_once_why_nothing_is_fitted(self):
        result_sets = load_all([self.small_machine_pair()])
        [sentence] = sentences(collect_points(result_sets), fit_curves(result_sets)).values()
        self.assertIn("; none is fitted: too few thread counts within the CPUs to fit (2).",
                      sentence)
        self.assertNotIn("mcs is not fitted", sentence)

    def test_a_small_machine_gives_one_table_row_per_family(self):
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(main(["fit", self.small_machine_pair()]), 0)
        body = out.getvalue().splitlines()[2:]  # under the family and the header
        self.assertEqual(len(body), 1, out.getvalue())
        self.assertIn("2 curves: ", body[0])
        self.assertTrue(body[0].endswith("too few thread counts within the CPUs to fit (2)"))

    def test_json_shape(self):
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(main(["fit", self.path, "--json"]), 0)
        curves = {c["variant"]: c for c in json.loads(out.getvalue())}
        mcs, ticket = curves["mcs"], curves["ticket"]
        for key in ("family", "variant", "placement", "params", "machine", "n_threads",
                    "lambda", "sigma", "kappa", "peak_threads", "peak_ops_per_sec", "fits",
                    "reason"):
            self.assertIn(key, mcs)
        self.assertEqual((mcs["family"], mcs["placement"], mcs["n_threads"]),
                         ("spinlock", "compact", len(synthetic.LADDER)))
        self.assertEqual(mcs["machine"], "synthetic (x86_64)")
        low, high = mcs["sigma"]["ci95"]
        self.assertLess(low, mcs["sigma"]["value"])
        self.assertGreater(high, mcs["sigma"]["value"])
        self.assertTrue(mcs["fits"])
        self.assertEqual(mcs["reason"], "")
        self.assertFalse(ticket["fits"])
        self.assertIsNone(ticket["sigma"]["value"])
        self.assertIsNone(ticket["peak_threads"])
        self.assertEqual(ticket["within_first_boundary"]["threads"], 16)
        self.assertEqual([x["threads"] for x in ticket["crossings"]], [16, 32])

    def test_text_table(self):
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(main(["fit", self.path]), 0)
        lines = out.getvalue().splitlines()
        self.assertEqual(lines[0], "spinlock")
        self.assertTrue(lines[1].startswith("variant"))
        self.assertTrue(any(line.startswith("mcs") and " threads, " in line for line in lines))

    def test_the_run_report_opens_with_the_sentence_and_the_table(self):
        out = os.path.join(self.dir, "report")
        with redirect_stdout(io.StringIO()):
            self.assertEqual(main([self.path, "-o", out]), 0)
        with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
            page = f.read()
        sentence = page.index("spinlock, 64 threads, compact: mcs beats ticket")
        self.assertLess(sentence, page.index("<h3>Scaling laws</h3>"))
        # The truth: ticket peaks at 13.2 threads and loses 40% at 48; mcs peaks at 43.6.
        self.assertRegex(page, r"ticket stops scaling at 1[1-5] threads \(95% \d+-\d+\) "
                               r"within one L3 cache and loses 3\d% \(95% \d+-\d+%\) "
                               r"crossing one package, one NUMA node; "
                               r"mcs stops scaling at 4[0-7] threads")
        self.assertIn("the law does not describe it: throughput falls", page)
        with open(os.path.join(out, "summary.md"), encoding="utf-8") as f:
            self.assertTrue(f.read().startswith("spinlock, 64 threads, compact: mcs beats"))

    def test_the_throughput_figure_draws_the_fitted_law_and_its_band(self):
        plot = FamilyPlot("spinlock", collect_points(load_all([self.path])))
        [axis] = plot.axes
        lines = {c.label: c for c in plot.fit_lines(axis, {c.key: c
                                                            for c in self.curves.values()})}
        self.assertEqual(set(lines), {"mcs (scalable) (fit)", "ticket (global) (fit)"})
        mcs = lines["mcs (scalable) (fit)"]
        self.assertEqual((mcs.xs[0], round(mcs.xs[-1])), (1, 64))
        low, high = mcs.band
        self.assertTrue(np.all(low <= np.array(mcs.ys)) and np.all(np.array(mcs.ys) <= high))
        self.assertTrue(np.all(high > low))
        figure = panel_figure("throughput", "ops/s", [Panel("compact", [], fits=list(lines.values()))])
        self.assertIsNone(figure)  # fits alone, without points, are no figure

    def test_the_arch_report_compares_the_laws_of_machines(self):
        other = synthetic.results({("mcs", "scalable"): synthetic.law(9e6, 0.08, 1.2e-3)},
                                  seed=6, host="arm-box")
        other["context"]["lockbench"]["arch"] = "aarch64"
        arm = synthetic.write(os.path.join(self.dir, "arm.json"), other)
        out = os.path.join(self.dir, "arch")
        with redirect_stdout(io.StringIO()):
            self.assertEqual(main(["arch", self.path, arm, "-o", out]), 0)
        with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
            page = f.read()
        laws = page.index("Scaling laws per machine")
        self.assertLess(page.index("arch-spinlock-normalised.png"), laws)
        self.assertLess(laws, page.index("arch-spinlock-speedup.png"))
        self.assertIn("<th>arm-box (aarch64): sigma</th>", page)
        self.assertIn("<td>not measured</td>", page)  # ticket ran on one machine only

    def test_exit_statuses_on_bad_input(self):
        missing = report("fit", os.path.join(self.dir, "missing.json"))
        self.assertEqual(missing.returncode, 2)
        self.assertIn("missing.json: cannot be read", missing.stderr)
        not_results = os.path.join(self.dir, "other.json")
        with open(not_results, "w", encoding="utf-8") as f:
            json.dump({"benchmarks": []}, f)
        refused = report("fit", not_results)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("other.json: not a lockbench results file", refused.stderr)
        self.assertEqual(report("fit").returncode, 2)


if __name__ == "__main__":
    unittest.main()

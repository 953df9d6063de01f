"""The vi package against vi-run: the same data, options and seed give the
CLI's summary to the last printed digit; errors carry vi's place.

Run by `meson test -C build python` (VI_LIBRARY, VI_RUN and VI_SOURCE_ROOT
point into the build and source trees)."""
import csv
import os
import subprocess
import tempfile
import unittest

import numpy as np

import vi

try:
    import pandas as pd
except ImportError:
    pd = None

ROOT = os.environ.get("VI_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
EX = os.path.join(ROOT, "examples")
VI_RUN = os.environ.get("VI_RUN", "vi-run")


def cli_files(model, data, *args):
    """Runs vi-run in examples/ and returns (summary CSV text, draws rows)."""
    with tempfile.TemporaryDirectory() as tmp:
        s, d = os.path.join(tmp, "s.csv"), os.path.join(tmp, "d.csv")
        subprocess.run([VI_RUN, model, data, "--quiet", "--summary", s, "--draws", d] + list(args), cwd=EX,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with open(s) as f:
            summary = f.read()
        with open(d) as f:
            rows = [r for r in csv.reader(line for line in f if not line.startswith("#"))]
    return summary, rows


def summary_rows(text):
    return list(csv.reader(text.splitlines()))


class MatchesTheCli(unittest.TestCase):
    def check(self, fit, summary, draw_rows=None):
        # the summary file vi-run writes, byte for byte
        self.assertEqual(fit.summary_csv(), summary)
        # and the numbers of the DataFrame / dict, printed as vi-run prints them
        rows = summary_rows(summary)
        s = fit.summary()
        names = list(s.index) if pd is not None else s["param"]
        self.assertEqual(names, [r[0] for r in rows[1:]])
        for i, r in enumerate(rows[1:]):
            for j, col in enumerate(["mean", "sd", "q5", "q50", "q95"]):
                v = s[col].iloc[i] if pd is not None else s[col][i]
                self.assertEqual("%.9g" % v, r[j + 1], "%s %s" % (r[0], col))
        if draw_rows is not None:
            head, body = draw_rows[0], draw_rows[2:]  # the row after the header is the mean row
            d = fit.draws()
            self.assertEqual(len(body), d["mu"].shape[0])
            k = head.index("theta.3")
            for i in (0, 17, len(body) - 1):
                self.assertEqual("%.9g" % d["theta"][i, 2], body[i][k])
                self.assertEqual("%.9g" % d["mu"][i], body[i][head.index("mu")])

    @unittest.skipIf(pd is None, "pandas is not installed")
    def test_eight_schools_from_a_dataframe(self):
        summary, rows = cli_files("eight_schools.vim", "eight_schools.csv", "--seed", "3")
        fit = vi.Model(os.path.join(EX, "eight_schools.vim")).fit(
            pd.read_csv(os.path.join(EX, "eight_schools.csv")), seed=3)
        self.check(fit, summary, rows)
        self.assertEqual(fit.draws()["theta"].shape, (1000, 8))

    def test_eight_schools_from_a_dict_with_options(self):
        summary, _ = cli_files("eight_schools.vim", "eight_schools.csv", "--seed", "11", "--algorithm", "meanfield",
                               "--output-samples", "400", "--iter", "3000")
        y = [28, 8, -3, 7, -1, 1, 18, 12]
        sigma = [15, 10, 16, 11, 9, 11, 10, 18]
        fit = vi.Model(os.path.join(EX, "eight_schools.vim")).fit(
            {"y": y, "sigma": np.array(sigma)}, algorithm="meanfield", seed=11, output_samples=400, iter=3000)
        self.check(fit, summary)
        self.assertEqual(fit.diagnostics["algorithm"], "meanfield")

    def test_every_vi_run_option_reaches_the_fit(self):
        # the options are vi-run's own (one parser): point values and a flow
        summary, _ = cli_files("eight_schools.vim", "eight_schools.csv", "--seed", "2", "--point", "mu,tau")
        fit = vi.Model(os.path.join(EX, "eight_schools.vim")).fit(
            os.path.join(EX, "eight_schools.csv"), seed=2, point="mu,tau")
        self.check(fit, summary)
        self.assertEqual(fit.summary()["sd"].iloc[0] if pd is not None else fit.summary()["sd"][0], 0.0)
        summary, _ = cli_files("eight_schools.vim", "eight_schools.csv", "--seed", "4", "--algorithm", "flow",
                               "--flow-layers", "2", "--iter", "300", "--resample")
        fit = vi.Model(os.path.join(EX, "eight_schools.vim")).fit(
            os.path.join(EX, "eight_schools.csv"), seed=4, algorithm="flow", flow_layers=2, iter=300, resample=True)
        self.check(fit, summary)
        self.assertEqual(fit.diagnostics["algorithm"], "flow")
        self.assertIn("flow[1].W1[1;1]", fit.flow_params)
        with self.assertRaises(vi.ViError) as cm:
            fit = vi.Model(os.path.join(EX, "eight_schools.vim")).fit(
                os.path.join(EX, "eight_schools.csv"), point="nope")
        self.assertEqual(cm.exception.exit_code, 4)

    def test_linear_regression_from_the_csv_file(self):
        summary, _ = cli_files("linear_regression.vim", "linear_regression.csv", "--seed", "5")
        m = vi.Model(os.path.join(EX, "linear_regression.vim"))
        fit = m.fit(os.path.join(EX, "linear_regression.csv"), seed=5)
        self.check(fit, summary)
        # the same table as arrays: x as a matrix binds to x.1 .. x.K
        with open(os.path.join(EX, "linear_regression.csv")) as f:
            rows = list(csv.reader(f))
        cols = {h: np.array([float(r[j]) for r in rows[1:]]) for j, h in enumerate(rows[0])}
        fit2 = m.fit({"y": cols["y"], "x": np.column_stack([cols["x.1"], cols["x.2"]])}, seed=5)
        self.check(fit2, summary)
        self.assertEqual(fit2.draws()["beta"].shape, (1000, 2))
        self.check(vi.fit(os.path.join(EX, "linear_regression.vim"), data=os.path.join(EX, "linear_regression.csv"),
                          seed=5), summary)

    @unittest.skipIf(pd is None, "pandas is not installed")
    def test_text_columns_become_levels(self):
        summary, _ = cli_files("hierarchical.vim", "hierarchical.csv", "--seed", "2", "--output-samples", "200")
        fit = vi.Model(os.path.join(EX, "hierarchical.vim")).fit(
            pd.read_csv(os.path.join(EX, "hierarchical.csv")), seed=2, output_samples=200)
        self.check(fit, summary)
        self.assertIn("a[Aitkin]", list(fit.summary()["label"]))

    def test_diagnostics_trace_params_and_report(self):
        fit = vi.Model(os.path.join(EX, "prediction.vim")).fit(os.path.join(EX, "prediction.csv"), seed=1)
        g = fit.diagnostics
        self.assertTrue(g["converged"])
        self.assertGreater(len(g["trace"]["elbo"]), 3)
        self.assertTrue(np.all(np.diff(g["trace"]["iteration"]) >= 0))
        self.assertEqual(g["trace"]["elbo"][-1], g["elbo"])  # the last point is the reported fit's ELBO
        self.assertEqual(g["trace"]["draws"][-1], g["draws_m"])
        self.assertLess(g["khat"], 0.7)
        self.assertEqual(fit.draws()["y_rep"].shape, (1000, 60))
        self.assertEqual(len(fit.params), 3)  # alpha, beta, log sigma
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, "r.html")
            fit.report(p)
            with open(p) as f:
                html = f.read()
        for needle in ('id="trace"', 'class="plot marginal"', 'class="plot pair"', 'id="pareto"',
                       'class="plot ppc"'):
            self.assertIn(needle, html)

    def test_summary_without_pandas_is_a_dict_of_arrays(self):
        fit = vi.Model(os.path.join(EX, "eight_schools.vim")).fit(os.path.join(EX, "eight_schools.csv"), seed=1,
                                                                  output_samples=100)
        saved = vi._pd
        vi._pd = None
        try:
            s = fit.summary()
        finally:
            vi._pd = saved
        self.assertEqual(s["param"][:2], ["mu", "tau"])
        self.assertEqual(len(s["mean"]), 18)


class Errors(unittest.TestCase):
    def test_a_model_error_names_line_and_column(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, "bad.vim")
            with open(p, "w") as f:
                f.write("parameters {\n  real mu;\n}\nmodel {\n  mu ~ nromal(0, 1);\n}\n")
            with self.assertRaises(vi.ViError) as cm:
                vi.Model(p)
        e = cm.exception
        self.assertEqual((e.file, e.line, e.col), (p, 5, 8))
        self.assertIn("unknown distribution 'nromal'", e.message)
        self.assertIn("did you mean 'normal'", e.message)
        self.assertEqual(e.exit_code, 1)

    def test_a_bad_data_cell_names_its_row(self):
        m = vi.Model(os.path.join(EX, "eight_schools.vim"))
        with self.assertRaises(vi.ViError) as cm:
            m.fit({"y": [28, "8o", -3, 7, -1, 1, 18, 12], "sigma": [15, 10, 16, 11, 9, 11, 10, 18]})
        e = cm.exception
        self.assertEqual((e.file, e.line), ("data", 3))  # line 2 is the first row
        self.assertIn("'8o'", e.message)
        self.assertEqual(e.exit_code, 2)

    def test_a_bad_option_is_a_usage_error(self):
        m = vi.Model(os.path.join(EX, "eight_schools.vim"))
        with self.assertRaises(vi.ViError) as cm:
            m.fit(os.path.join(EX, "eight_schools.csv"), algorithm="nuts")
        self.assertIn("--algorithm takes auto, dadvi", cm.exception.message)
        self.assertEqual(cm.exception.exit_code, 4)
        with self.assertRaises(vi.ViError):
            m.fit(os.path.join(EX, "eight_schools.csv"), iterr=10)


if __name__ == "__main__":
    unittest.main()

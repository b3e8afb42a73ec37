"""Smoke tests of `make bench` (the bench/ dev tool) and of the parallel, incremental site build it measures.

No timing is asserted here, ever: the figures live in bench/results/, the tests only check
that the bench runs end to end and writes the table and JSON it promises, that its memory
figure is the whole process tree's, and that the site driver writes exactly what
`mkdocs build` writes.
"""

from __future__ import annotations

import filecmp
import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench import builds, memory, orgs, prototype
from bench.__main__ import main as bench_main
from pipelines import blocks, page_packs, site
from pipelines.demo import generate_demo


def _tree(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file()}


def _same_tree(a: Path, b: Path) -> list[str]:
    ta, tb = _tree(a), _tree(b)
    diffs = sorted(set(ta) ^ set(tb))
    diffs += [k for k in sorted(set(ta) & set(tb)) if not filecmp.cmp(ta[k], tb[k], shallow=False)]
    return diffs


def test_bench_runs_end_to_end_and_writes_table_and_json(tmp_path, capsys):
    code = bench_main(["--sizes", "4", "--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "results")])
    out = capsys.readouterr().out
    assert code == 0, out
    # The table: one row per size with every stage, and both rebuilds.
    header = out.splitlines()[0].split()
    for col in ("reps", "load", "models", "charts", "pages", "site", "total", "peak", "kernel", "bound"):
        assert col in header
    assert "next day" in out and "same-day fix" in out
    [result_file] = list((tmp_path / "results").glob("*.json"))
    report = json.loads(result_file.read_text(encoding="utf-8"))
    assert report["git"]["sha"] and report["environment"]["cpus"] >= 1
    assert report["settings"]["sizes"] == [4]
    [r] = report["results"]
    assert r["reps"] == 4 and "error" not in r, r.get("output")
    full = r["full"]
    assert set(full["stages"]) >= {"load", "models", "pages", "site"}
    assert full["html_pages"] > 4 and full["site_bytes"] > 0 and full["peak_mb"] > 0 and full["cpu_seconds"] > 0
    assert full["chart_calls"] > 0 and "charts" in full["stages"]
    # The kernel's share of the CPU, and the page faults behind it, are the build tree's own.
    assert 0 < full["system_seconds"] < full["cpu_seconds"] and full["minor_faults"] > 0
    # The total is the build process's wall time from start to exit, so it covers every stage.
    assert full["total"] >= full["in_process"] >= sum(full["stages"].values()) - 1e-6
    assert full["memory"] in ("pss", "rss", "maxrss")
    # The timed build was not sampled (sampling slows the build it samples); the peak is a sampled build's own.
    assert [(run["peak_mb"], run["memory"]) for run in r["runs"]] == [(None, builds.NOT_SAMPLED)]
    assert full["memory_run"]["peak_mb"] == full["peak_mb"] and full["memory_run"]["total"] > 0
    # The stage figures are the build's own (build --timings), not read from module globals.
    assert full["site_build"]["mode"] == "in-process" and full["site_build"]["reused"] == 0
    assert full["site_build"]["rendered"] == full["site_build"]["pages"] > 4
    assert full["pages_stage"]["workers"] == 1 and full["rep_pages"] > 4
    assert set(r["bound"]) >= {"models_sql", "write_html", "total"}
    assert "stages" in r["rebuild"], r["rebuild"].get("output")
    assert r["rebuild"]["site_build"]["pages"] == full["site_build"]["pages"]
    # A same-day correction keeps as_of, so the pages of reps whose data did not change are reused.
    assert r["rebuild_same_day"]["site_build"]["reused"] > 0, r["rebuild_same_day"].get("output")
    assert isinstance(report["verdicts"], list)
    # The folders set aside between timed builds (the last build's, the bound's scratch) are gone once it is done.
    assert not list((tmp_path / "cache").rglob(builds.TRASH))
    # Demo orgs are cached: a second call finds the folder and does not regenerate it.
    org = tmp_path / "cache" / "demo-4-42"
    stamp = (org / "opportunities.csv").stat().st_mtime_ns
    assert orgs.demo_org(4, 42, tmp_path / "cache") == org
    assert (org / "opportunities.csv").stat().st_mtime_ns == stamp


def test_a_folder_set_aside_keeps_its_files_until_the_trash_is_emptied(tmp_path):
    """The bench takes the last build's folder out of the next build's way by renaming it, which frees no inode,
    and deletes it only when nothing more is timed."""
    work = tmp_path / "work-4-42"
    (work / "site" / "reps").mkdir(parents=True)
    (work / "site" / "reps" / "index.html").write_text("x", encoding="utf-8")
    inode = (work / "site" / "reps" / "index.html").stat().st_ino
    builds.set_aside(work)
    builds.set_aside(tmp_path / "not-there")  # nothing to set aside: no error
    assert not work.exists()
    [kept] = (tmp_path / builds.TRASH).rglob("index.html")
    assert kept.stat().st_ino == inode and kept.read_text(encoding="utf-8") == "x"
    builds.empty_trash()
    assert not (tmp_path / builds.TRASH).exists()


def test_audiences_mode_builds_each_layout_and_compares_with_the_single_site(tmp_path, capsys):
    """`make bench AUDIENCES=1`: the same org as one site, as leaders + team audiences and one per team."""
    code = bench_main(["--audiences", "--sizes", "12", "--cache", str(tmp_path / "cache"),
                       "--results", str(tmp_path / "results")])
    out = capsys.readouterr().out
    assert code == 0, out
    [result_file] = list((tmp_path / "results").glob("*-audiences.json"))
    [r] = json.loads(result_file.read_text(encoding="utf-8"))["results"]
    lay = r["layouts"]
    assert set(lay) == {"single", "leaders", "per_team"}
    assert lay["single"]["audiences"] == {} and "leaders" in lay["leaders"]["audiences"]
    assert len(lay["leaders"]["audiences"]) >= 3 and len(lay["per_team"]["audiences"]) >= 2
    assert lay["leaders"]["html_pages"] > lay["single"]["html_pages"]
    # Each layout's peak memory comes from a sampled build of its own, its timed ones unsampled.
    assert all(lay[k]["memory_run"]["peak_mb"] == lay[k]["peak_mb"] > 0 for k in lay)
    assert {run["memory"] for runs in r["runs"].values() for run in runs} == {builds.NOT_SAMPLED}
    assert "× single" in out and "leaders + 10 team audiences" in out and "one audience per team" in out
    config = (tmp_path / "cache" / "demo-12-42-aud-leaders" / "config.yml").read_text(encoding="utf-8")
    assert "- {name: leaders, scope: all}" in config and "scope: {teams: [" in config


def test_make_bench_passes_sizes_through():
    """`make bench SIZES=...` hands the sizes to `python -m bench --sizes` (checked with make -n: nothing runs)."""
    root = Path(__file__).resolve().parent.parent

    def bench_line(*args: str) -> str:
        dry = subprocess.run(["make", "--no-print-directory", "-n", "bench", *args], cwd=root,
                             capture_output=True, text=True, check=True).stdout
        [line] = [ln.strip() for ln in dry.splitlines() if " -m bench" in ln]
        return line

    assert bench_line("SIZES=50,1000").endswith("-m bench --sizes 50,1000")
    assert bench_line().endswith("-m bench")
    assert bench_line("AUDIENCES=1").endswith("-m bench --audiences")
    assert bench_line("PROTOTYPE=../p").endswith("-m bench --prototype ../p")
    assert bench_line("AGAINST=HEAD~1").endswith("-m bench --against HEAD~1")


def _fake_prototype(root: Path, reps: int, seconds: float) -> Path:
    """A stand-in for ../shared/perf-prototype set up as its README says, whose build_fast.sh takes `seconds`."""
    for rel in ("models.sql", "venv/bin/python", "assets/vega-bundle.js", f"data/R{reps}/reps.csv"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("", encoding="utf-8")
    (root / "build_fast.sh").write_text(f'test "$1" = {reps} && sleep {seconds}\n', encoding="utf-8")
    return root


def test_prototype_mode_alternates_and_compares_the_best_of_each(tmp_path, capsys):
    """`make bench PROTOTYPE=DIR`: prototype, project, prototype, project; the best of each and their ratio. The
    stand-in prototype takes 3 s: the ratio is the project's best wall time over that (3.0 s or a little more)."""
    proto = _fake_prototype(tmp_path / "proto", 6, 3)
    code = bench_main(["--prototype", str(proto), "--sizes", "6", "--cache", str(tmp_path / "cache"),
                       "--results", str(tmp_path / "results")])
    assert code == 0
    [result_file] = list((tmp_path / "results").glob("*-prototype.json"))
    [r] = json.loads(result_file.read_text(encoding="utf-8"))["results"]
    assert [len(r["runs"][k]) for k in ("prototype", "project")] == [2, 2]
    assert 3.0 <= r["best"]["prototype"]["total"] < 3.0 + 2 and r["best"]["project"]["html_pages"] > 6
    assert r["ratio"] == r["best"]["project"]["total"] / r["best"]["prototype"]["total"]
    assert "project / prototype" in capsys.readouterr().out
    # Neither side's timed runs were sampled; each one's peak memory comes from one more run of it, sampled.
    assert {run["memory"] for runs in r["runs"].values() for run in runs} == {builds.NOT_SAMPLED}
    assert all(r["best"][k]["memory_run"]["peak_mb"] == r["best"][k]["peak_mb"] > 0 for k in ("prototype", "project"))


def test_prototype_mode_says_what_set_up_is_missing(tmp_path, capsys):
    """A prototype folder as shipped without its models.sql (as ../shared/perf-prototype was): the run fails
    with what is missing, and exits 1."""
    proto = _fake_prototype(tmp_path / "proto", 6, 0)
    (proto / "models.sql").unlink()
    code = bench_main(["--prototype", str(proto), "--sizes", "6", "--cache", str(tmp_path / "cache"),
                       "--results", str(tmp_path / "results")])
    out = capsys.readouterr().out
    assert code == 1 and "lacks models.sql" in out and f"`cp {prototype.MODELS} {proto / 'models.sql'}`" in out


def test_the_prototype_models_reconstruction_gives_what_its_pipeline_reads():
    """bench/prototype_models.sql, run as the prototype's pipeline.py runs models.sql (split at `;`), on its
    schema: one rep (1) of team 7 with a 100 quota in Q4 2025, one deal won for 30 and one open for 50 closing
    in Q4, two calls. Worked out by hand: attainment 30 / 100 = 0.3, win rate 1 / 1, coverage 50 / (100 - 30)."""
    import duckdb

    con = duckdb.connect()
    con.execute("create table reps as select 1::bigint as rep_id, 'Ann' as rep_name, 'AE' as role, 7::bigint as team_id,"
                " null::bigint as manager_id, 'EU' as region, date '2024-01-01' as hire_date")
    con.execute("create table teams as select 7::bigint as team_id, 'T7' as team_name, null::bigint as manager_id,"
                " 'EU' as region")
    con.execute("create table quotas as select 1::bigint as rep_id, date '2025-10-01' as quarter_start,"
                " 100.0::double as quota_amount")
    con.execute("""create table opportunities as select * from (values
        (1::bigint, 1::bigint, 1::bigint, 'A', 'Closed Won', 30.0::double, date '2025-10-02', date '2025-10-12', 'web'),
        (2, 1, 1, 'B', 'Proposal', 50.0, date '2025-10-03', date '2025-12-01', 'web'))
        as t(opp_id, owner_id, account_id, opp_name, stage, amount, created_date, close_date, lead_source)""")
    con.execute("""create table activities as select * from (values
        (1::bigint, 1::bigint, date '2025-11-10', 'call', 1::bigint, 5::smallint),
        (2, 1, date '2025-11-11', 'call', 2, 5))
        as t(activity_id, rep_id, activity_date, activity_type, opp_id, duration_min)""")
    for statement in prototype.MODELS.read_text(encoding="utf-8").split(";"):
        if statement.strip() and not all(line.strip().startswith("--") for line in statement.strip().splitlines()):
            con.execute(statement)
    read = {  # what pipeline.py's queries and page templates read from each
        "m_rep_quarter": "rep_id, quarter, quarter_start, quota_amount, won_amount, attainment",
        "m_team_quarter": "team_id, quarter, quarter_start, quota_amount, won_amount, attainment",
        "m_rep_pipeline": "rep_id, stage, n_opps, amount",
        "m_rep_weekly_activity": "rep_id, week, activity_type, n",
        "m_rep_scorecard": "rep_id, rep_name, team_id, team_name, region, win_rate, avg_deal_size, cycle_days, "
                           "cq_quota, cq_attainment, pipeline_coverage, ytd_attainment, acts_per_week, acts_per_week_l4w",
        "m_team_scorecard": "team_id, team_name, region, n_reps, win_rate, cq_attainment, open_pipe_total, "
                            "acts_per_week, avg_deal_size",
    }
    for table, cols in read.items():
        con.execute(f"select {cols} from {table}").fetchall()
    assert con.execute("select quarter, attainment from m_rep_quarter").fetchall() == [("2025-Q4", 0.3)]
    win_rate, coverage = con.execute("select win_rate, pipeline_coverage from m_rep_scorecard").fetchall()[0]
    assert win_rate == 1.0 and abs(coverage - 50 / 70) < 1e-12


def test_against_mode_builds_both_checkouts_alternately_and_removes_its_worktree(tmp_path, capsys):
    """`make bench AGAINST=HEAD`: a warm-up build of each, then HEAD, this checkout, HEAD, this checkout. Both are
    full builds of the same 6-rep org (the same pages); the ratios are this checkout's time over HEAD's, and no
    worktree is left behind."""
    from bench.machine import git

    before = git("worktree", "list", "--porcelain")
    code = bench_main(["--against", "HEAD", "--sizes", "6", "--repeat", "2", "--cache", str(tmp_path / "cache"),
                       "--results", str(tmp_path / "results")])
    assert code == 0
    [result_file] = list((tmp_path / "results").glob("*-against.json"))
    [r] = json.loads(result_file.read_text(encoding="utf-8"))["results"]
    assert r["rev"] == git("rev-parse", "--short=12", "HEAD")
    assert [len(r["runs"][side]) for side in ("rev", "this")] == [2, 2]
    assert r["best"]["rev"]["html_pages"] == r["best"]["this"]["html_pages"] > 6
    assert r["ratio_best"] == r["best"]["this"]["total"] / r["best"]["rev"]["total"]
    assert f"this / {r['rev']}" in capsys.readouterr().out
    assert git("worktree", "list", "--porcelain") == before


def test_against_mode_says_when_rev_names_no_commit(tmp_path, capsys):
    code = bench_main(["--against", "no-such-branch-x", "--sizes", "6", "--cache", str(tmp_path / "cache"),
                       "--results", str(tmp_path / "results")])
    assert code == 1 and "'no-such-branch-x' names no commit" in capsys.readouterr().out


def test_a_timed_run_is_not_sampled_and_a_memory_run_is(monkeypatch):
    """Sampling a process's memory has the kernel walk its page tables, on the cores the process runs on: a
    timed run starts no sampler, and only a run asked for its memory has a peak."""
    script = "block = bytearray(40 * 2**20); block[::4096] = b'x' * len(block[::4096]); import time; time.sleep(0.5)"
    started = []

    class Counting(memory.PeakMemory):
        def __init__(self, pid, interval=0.1):
            started.append(pid)
            super().__init__(pid, interval)

    monkeypatch.setattr(builds, "PeakMemory", Counting)
    timed = builds.run_process(["-c", script])
    assert (timed.returncode, timed.peak_mb, timed.memory, started) == (0, None, builds.NOT_SAMPLED, [])
    sampled = builds.run_process(["-c", script], memory=True)
    assert sampled.returncode == 0 and len(started) == 1 and sampled.memory in ("pss", "rss")
    assert sampled.peak_mb > 40


def test_peak_memory_is_summed_over_the_process_tree():
    """A parent and its forked child each hold ~60 MB of their own: the peak counts both, not the larger one."""
    script = textwrap.dedent("""
        import os, time
        pid = os.fork()
        block = bytearray(60 * 2**20)  # allocated after the fork: private to each process
        for i in range(0, len(block), 4096):
            block[i] = 1  # touch every page, so it is resident
        time.sleep(2.5)
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    with memory.PeakMemory(proc.pid, interval=0.05) as mem:
        proc.wait()
    assert proc.returncode == 0
    assert mem.peak_bytes > 110 * 2**20, mem.peak_bytes / 2**20


def test_next_day_org_moves_as_of_and_appends_rows(tmp_path):
    org = tmp_path / "demo-6-1"
    generate_demo(org, reps=6, seed=1)
    nxt = orgs.next_day_org(org, reps=2)
    assert "as_of: 2026-11-19" in (nxt / "config.yml").read_text(encoding="utf-8")
    assert os.path.samefile(org / "reps.csv", nxt / "reps.csv")  # unchanged extracts are linked, not copied
    old = (org / "activities.csv").read_text(encoding="utf-8").splitlines()
    new = (nxt / "activities.csv").read_text(encoding="utf-8").splitlines()
    assert new[: len(old)] == old and len(new) == len(old) + 6
    assert all(",2026-11-19," in line for line in new[len(old):])
    ids = [line.split(",")[0] for line in new[1:]]
    assert len(ids) == len(set(ids))
    changed = [a for a, b in zip((org / "opportunities.csv").read_text().splitlines(),
                                 (nxt / "opportunities.csv").read_text().splitlines()) if a != b]
    assert len(changed) == 2
    fix = orgs.next_day_org(nxt, reps=2, move_as_of=False)
    assert "as_of: 2026-11-19" in (fix / "config.yml").read_text(encoding="utf-8")


def _docs(root: Path, n: int) -> Path:
    docs = root / "docs"
    (docs / "reps").mkdir(parents=True)
    (docs / "index.md").write_text("# Home\n\n[Reps](reps/index.md)\n", encoding="utf-8")
    (docs / "reps" / "index.md").write_text("# Reps\n\n" + "\n".join(f"- [r{i}](r{i}/)" for i in range(n)), encoding="utf-8")
    for name in ("teams/index.md", "glossary.md", "data-quality.md", "reference.md"):
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(f"# {name}\n\nSee [home](../index.md).\n", encoding="utf-8")
    for i in range(n):
        (docs / "reps" / f"r{i}").mkdir()
        (docs / "reps" / f"r{i}" / "index.md").write_text(
            f"---\ntitle: Rep {i}\n---\n\n# Rep {i}\n\n## The Number\n\n<div class=\"kpis\"><span>{i}</span></div>\n\n"
            f"## Scorecard\n\n| q | won |\n| - | - |\n| Q1 | {i * 7} |\n\n[Data quality](../../data-quality/)\n",
            encoding="utf-8")
    return docs


def _plain_mkdocs(docs: Path, out: Path, title: str = "Bench <Org>", site_url: str | None = None) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    site.write_assets(docs)
    yml = site._mkdocs_yml(title, docs.resolve(), out, out.parent / "plain-mkdocs.yml", site_url)
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    build(load_config(config_file=str(yml)))
    blocks.fill(out)  # what the pages stage's blocks become in any site (pipelines/blocks.py)


@pytest.mark.parametrize("site_url", [None, "https://scorecards.example.com/sales/"])
def test_demo_org_site_is_what_mkdocs_build_writes(tmp_path, monkeypatch, site_url):
    """A whole demo-org build (rep, coaching, team and Monday pages filled into their kind's theme shell,
    pipelines/shell.py) writes byte for byte the site `mkdocs build` writes from the same pages."""
    from pipelines.cli import prepare, run_build

    org = tmp_path / "org"
    generate_demo(org, reps=14, seed=3)
    if site_url:
        with (org / "config.yml").open("a", encoding="utf-8") as f:
            f.write(f"site:\n  url: {site_url}\n")
    seen: dict = {}
    stage_site = site.stage_site

    def keep_docs(title, docs_dir, out, **options):
        shutil.copytree(docs_dir, tmp_path / "docs")
        page_packs.unpack(tmp_path / "docs")  # a plain `mkdocs build` reads files only
        seen.update(title=title, site_url=options.get("site_url"))
        staged = stage_site(title, docs_dir, out, **options)
        seen["result"] = staged.result
        return staged

    monkeypatch.setattr(site, "stage_site", keep_docs)
    monkeypatch.setattr(site, "MIN_PAGES_PER_WORKER", 10)
    run_build(prepare(org / "config.yml"), tmp_path / "site", tmp_path / "warehouse")
    _plain_mkdocs(tmp_path / "docs", tmp_path / "plain", seen["title"], seen["site_url"])
    assert seen["site_url"] == site_url
    result = seen["result"]
    assert result.workers == 2 and result.filled == result.pages - 6, result  # all but the six nav pages
    assert _same_tree(tmp_path / "plain", tmp_path / "site") == []


def test_parallel_incremental_site_is_what_mkdocs_build_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(site, "MIN_PAGES_PER_WORKER", 10)
    docs = _docs(tmp_path, 60)
    _plain_mkdocs(docs, tmp_path / "plain")
    out = tmp_path / "site"

    built = site.build_site("Bench <Org>", docs, out, jobs=2)
    assert built.mode == "parallel" and built.workers == 2 and built.reused == 0
    assert _same_tree(tmp_path / "plain", out) == []

    # Nothing changed: every page is taken over from the previous site, the result is the same.
    built = site.build_site("Bench <Org>", docs, out, jobs=2)
    assert built.rendered == 0 and built.reused == built.pages
    assert _same_tree(tmp_path / "plain", out) == []

    # One rep page changed: only it is rendered, and the site (search index included) is what
    # a full `mkdocs build` of the changed docs writes.
    page = docs / "reps" / "r7" / "index.md"
    page.write_text(page.read_text(encoding="utf-8").replace("# Rep 7", "# Rep 7 changed"), encoding="utf-8")
    shutil.rmtree(tmp_path / "plain")
    _plain_mkdocs(docs, tmp_path / "plain")
    built = site.build_site("Bench <Org>", docs, out, jobs=2)
    assert built.rendered == 1
    assert _same_tree(tmp_path / "plain", out) == []
    index = json.loads((out / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert any(d["title"] == "Rep 7 changed" for d in index["docs"])

    # A different title (so every page's header) renders every page again.
    built = site.build_site("Another org", docs, out, jobs=1)
    assert built.reused == 0 and built.mode == "in-process" and built.workers == 1

    # Without the page cache nothing is reused, even though nothing changed.
    built = site.build_site("Another org", docs, out, jobs=1, reuse=False)
    assert built.reused == 0 and built.rendered == built.pages


def test_theme_templates_compiled_once_for_all_builds_change_nothing(tmp_path, monkeypatch):
    """The theme's compiled templates are kept in the cache folder (site._TemplateCache): a build that loads
    them, and one whose cache folder cannot be written, write the site `mkdocs build` writes."""
    import jinja2

    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, *args, **kwargs):
        if filename:  # a template file, not the shell's own small strings
            compiled.append(name)
        return compile_(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    docs = _docs(tmp_path, 3)
    _plain_mkdocs(docs, tmp_path / "plain")
    cache = tmp_path / "cache"
    for n in range(2):
        compiled.clear()
        site.build_site("Bench <Org>", docs, tmp_path / f"site{n}", jobs=1, cache_dir=cache)
        assert _same_tree(tmp_path / "plain", tmp_path / f"site{n}") == []
        assert ("main.html" in compiled) == (n == 0), compiled
    # A compiled file cut short (a crash mid-write) is compiled again, and an upgrade's leftovers are removed.
    warm = len(compiled)  # compiled by a build that loads the theme's templates: the project's own small ones
    templates = cache / "theme-templates"
    (folder,) = templates.iterdir()
    damaged = max(folder.iterdir(), key=lambda p: p.stat().st_size)
    damaged.write_bytes(damaged.read_bytes()[:10])
    (templates / "0123456789abcdef").mkdir()
    (templates / "0123456789abcdef" / "__jinja2_old.cache").write_bytes(b"from another jinja2")
    compiled.clear()
    site.build_site("Bench <Org>", docs, tmp_path / "site3", jobs=1, cache_dir=cache)
    assert _same_tree(tmp_path / "plain", tmp_path / "site3") == []
    assert len(compiled) == warm + 1 and [p.name for p in templates.iterdir()] == [folder.name]
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would go", encoding="utf-8")
    site.build_site("Bench <Org>", docs, tmp_path / "site2", jobs=1, cache_dir=blocked)
    assert "main.html" in compiled
    assert _same_tree(tmp_path / "plain", tmp_path / "site2") == []


def test_failed_site_build_keeps_previous_site_and_cache(tmp_path, monkeypatch):
    docs = _docs(tmp_path, 3)
    out = tmp_path / "site"
    site.build_site("Org", docs, out, jobs=1)
    before = _tree(out)
    manifest = (site.cache_dir_for(out) / "pages.json").read_bytes()

    def boom(*a, **kw):
        raise RuntimeError("theme exploded")

    import mkdocs.commands.build as mkb

    monkeypatch.setattr(mkb, "get_context", boom)
    (docs / "reps" / "r1" / "index.md").write_text("# changed\n", encoding="utf-8")
    with pytest.raises(site.BuildError):
        site.build_site("Org", docs, out, jobs=1)
    assert _tree(out).keys() == before.keys()
    assert (site.cache_dir_for(out) / "pages.json").read_bytes() == manifest
    assert not list(tmp_path.glob(".site-build-*"))


def test_history_mode_loads_day_after_day_and_measures_growth_and_builds(tmp_path, capsys):
    """`make bench HISTORY=...`: daily loads with as_of moving, warehouse size after each, builds after day 2 and N."""
    code = bench_main(["--history", "3", "--sizes", "4", "--changes", "1", "--cache", str(tmp_path / "cache"),
                       "--results", str(tmp_path / "results")])
    out = capsys.readouterr().out
    assert code == 0, out
    [result_file] = list((tmp_path / "results").glob("*-history.json"))
    [r] = json.loads(result_file.read_text(encoding="utf-8"))["results"]
    assert [d["day"] for d in r["days"]] == [1, 2, 3]
    dates = [d["date"] for d in r["days"]]
    assert dates == sorted(dates) and len(set(dates)) == 3
    assert r["days"][0]["bytes"] < r["days"][1]["bytes"] < r["days"][2]["bytes"]
    assert set(r["builds"]) == {"2", "3"} and "control" in r["builds"]["3"]
    assert r["builds"]["3"]["build"]["peak_mb"] > 0
    assert "× day 2" in out and "of day 1" in out

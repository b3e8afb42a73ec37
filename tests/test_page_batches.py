"""The pages stage holds one batch of teams' page data at a time, and DuckDB lets go of what no later stage reads.

Memory stays bounded whatever the org's size only if neither changes a page: the batch size
must not show in the output, a page must never read a rep's data outside its batch (that would
be "no data" invented), and a released connection keeps exactly what it was told to.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipelines import page_packs, pages
from pipelines.catalog import load_catalog
from pipelines.models import release
from pipelines.page_contexts import rep_context, reps_index, team_context, team_list
from pipelines.page_data import Calendar, fetch, load_bundle, rep_batch, rep_rows
from pipelines.settings import load_config
from tests.helpers import FIXTURES, models_on

TINY = FIXTURES / "tiny" / "config.yml"


def _files(root):
    """Every docs file as MkDocs is given it, the packed pages included (their packs' bytes depend on the chunks)."""
    return {Path(rel): data for rel, data in page_packs.files(root).items()}


def test_the_pages_are_the_same_whatever_the_batch_size(tmp_path, monkeypatch):
    """The tiny org's directory: m1, r1 and r2 in East, m2 and r3 in West. One batch renders them all; with
    BATCH_REPS = 1 each team is a batch of its own (East's three people stay together: a team page reads its
    members' data). Every file written, pages, chart specs and downloads, must be byte for byte the same."""
    cfg = load_config(TINY)
    con = models_on(TINY, tmp_path)
    catalog = load_catalog()
    pages.render(cfg, con, catalog, cfg.as_of, tmp_path / "one")
    monkeypatch.setattr(pages, "BATCH_REPS", 1)
    pages.render(cfg, con, catalog, cfg.as_of, tmp_path / "many")
    one, many = _files(tmp_path / "one"), _files(tmp_path / "many")
    assert len(one) > 10 and one.keys() == many.keys()
    assert [str(k) for k in one if one[k] != many[k]] == []


def test_forked_batches_with_prefetch_give_the_same_pages(tmp_path, monkeypatch):
    """The same tiny org rendered by two forked workers per batch, one team a batch: the next batch's rows are
    fetched, and the downloads written a few a batch, while the workers render. Every file must be
    byte for byte what one in-process batch writes."""
    from pipelines import workers

    cfg = load_config(TINY)
    con = models_on(TINY, tmp_path)
    catalog = load_catalog()
    in_process = pages.render(cfg, con, catalog, cfg.as_of, tmp_path / "one")
    monkeypatch.setattr(pages, "BATCH_REPS", 1)
    monkeypatch.setattr(workers, "workers_for", lambda n, jobs, per: 2 if n >= 2 else 1)
    result = pages.render(cfg, con, catalog, cfg.as_of, tmp_path / "forked")
    one, forked = _files(tmp_path / "one"), _files(tmp_path / "forked")
    assert result.workers == 2 and one.keys() == forked.keys()
    assert [str(k) for k in one if one[k] != forked[k]] == []
    # Every chart is counted once, the home page's (drawn beside the first batch's workers) too.
    drawn = sum(v.count(b"scorecard-chart") for k, v in one.items() if k.suffix == ".md")
    assert drawn > 0 and result.chart_calls == in_process.chart_calls == drawn


def test_downloads_started_early_on_a_thread_give_the_same_files(tmp_path, monkeypatch):
    """The one site's downloads start on a thread before the page data is read (`pages.start_downloads`); those
    it has not reached when the first batch's rows are read run beside the workers, as before. Whichever runs
    them, every file is byte for byte what render writes alone, and when the thread wrote only two of them."""
    from pipelines import audiences, workers

    cfg = load_config(TINY)
    con = models_on(TINY, tmp_path)
    catalog = load_catalog()
    pages.render(cfg, con, catalog, cfg.as_of, tmp_path / "alone")
    site = audiences.resolve(cfg, [])[0]
    started = pages.start_downloads(cfg, con, catalog, tmp_path / "early", site)
    pages.render(cfg, con, catalog, cfg.as_of, tmp_path / "early", audience=site, downloads=started)

    class TwoStepsOnly:  # the thread has written two downloads when the first batch's rows are read
        def __init__(self, steps, interrupt=None):
            self.rest = list(steps[2:])
            for step in steps[:2]:
                step()

        def stop(self, cancel=False):
            return self.rest

    monkeypatch.setattr(workers, "Background", TwoStepsOnly)
    half = pages.start_downloads(cfg, con, catalog, tmp_path / "half", site)
    pages.render(cfg, con, catalog, cfg.as_of, tmp_path / "half", audience=site, downloads=half)
    alone = _files(tmp_path / "alone")
    assert any(k.suffix == ".csv" for k in alone)
    for other in ("early", "half"):
        files = _files(tmp_path / other)
        assert files.keys() == alone.keys() and [str(k) for k in alone if alone[k] != files[k]] == []


def test_batches_are_whole_teams_of_about_the_batch_size(monkeypatch):
    """BATCH_REPS = 2 over teams A (2 people), B (1), C (3), and D with nobody in the directory: A fills the
    first batch; B starts the second, which is below 2 people, so C joins it; D, with no one to batch by,
    goes last."""
    monkeypatch.setattr(pages, "BATCH_REPS", 2)
    people = [{"rep_id": f"{t.lower()}{i}", "team": t} for t, n in (("A", 2), ("B", 1), ("C", 3)) for i in range(n)]
    teams = [{"team": t} for t in "ABCD"]
    got = [([t["team"] for t in ts], [p["rep_id"] for p in ps]) for ts, ps in pages._batches(people, teams)]
    assert got == [(["A"], ["a0", "a1"]), (["B", "C", "D"], ["b0", "c0", "c1", "c2"])]


def test_a_reps_own_page_data_exists_only_inside_its_batch(tmp_path):
    """Outside a batch, reading a rep's deal events is a KeyError, not an empty list a page would show as
    "none". Inside, every rep of the batch has every mart: r3 has its one deal event, r1 has none (an
    empty list); r2, not in the batch, still has no events key. After it, the data and the batch's scratch
    table are gone."""
    con = models_on(TINY, tmp_path)
    b = load_bundle(con, 4)
    with pytest.raises(KeyError):
        b.by_rep["r3"]["events"]
    with pytest.raises(KeyError):  # a rep page's context asked for outside the batch: an error, not empty tables
        rep_context(b, "r3", Calendar(b.org["quarters"], 4))
    with rep_batch(b, rep_rows(con, ["r1", "r3"])):
        assert len(b.by_rep["r3"]["events"]) == 1 and b.by_rep["r1"]["events"] == []
        assert len(b.by_rep["r1"]["open_deals"]) == 1
        assert "events" not in b.by_rep["r2"]
    assert "events" not in b.by_rep["r3"] and b.by_rep["r3"]["scorecard"]
    assert con.execute("select count(*) from duckdb_tables() where table_name = 'page_batch'").fetchone()[0] == 0


def test_release_keeps_only_what_it_is_told_and_the_memory_limit(tmp_path):
    """After the models, a build keeps the marts; after the pages, nothing. The memory limit, lowered for a
    moment to make DuckDB hand memory back, is what it was."""
    con = models_on(TINY, tmp_path)
    con.execute("set memory_limit = '512MiB'")
    release(con, {"rep_scorecard", "org_quarters"})
    names = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert names == {"rep_scorecard", "org_quarters"}
    assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "512.0 MiB"
    release(con, set())
    assert con.execute("select count(*) from information_schema.tables").fetchone()[0] == 0


def test_memory_a_finished_query_used_goes_back_to_the_system():
    """A sort of 3 million (integer, double) rows makes DuckDB's allocator take about 100 MB more than the table
    holds, and keep it after the query has finished: the pages stage runs such queries (a download's sorted COPY,
    the next batch's rows) while its workers are largest. give_back_memory must return most of it, and leave the
    memory limit as it was. Measured here: 135 MB with the table, 242 after the sort, 137 after giving back."""
    import duckdb
    import psutil

    from pipelines.models import give_back_memory

    me = psutil.Process()
    con = duckdb.connect(config={"memory_limit": "800MiB"})
    con.execute("create table t as select range as i, random() as r from range(3000000)")
    con.execute("select count(*) from (select * from t order by r)").fetchall()
    held = me.memory_info().rss
    give_back_memory(con)
    assert held - me.memory_info().rss > 50 * 2**20
    assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "800.0 MiB"


def test_a_batch_holds_each_reps_rows_in_the_order_of_its_mart(tmp_path, monkeypatch):
    """rep_rows adds each run of one rep's rows at once. A mart ordered by something else first (the quarantine is
    ordered by file and row) interleaves reps: every rep must still get all its rows, in the mart's order, as
    when each row was appended on its own."""
    from pipelines import page_data

    con = models_on(TINY, tmp_path)
    ids = ["r1", "r2", "r3", "m1"]
    fetched = page_data.fetch

    def interleaved(con, sql):
        rows = fetched(con, sql)
        fake = [{"rep_id": rid, "n": i} for i, rid in enumerate(["r3", "r1", "r1", "r3", "r2", "r1"])]
        return fake if "org_quarantine" in sql else rows

    monkeypatch.setattr(page_data, "fetch", interleaved)
    got = rep_rows(con, ids)
    expected = {rid: {name: [] for name in page_data.BATCH_ONLY} for rid in ids}
    for name in page_data.BATCH_ONLY:
        for row in interleaved(con, page_data._rep_sql(name)):  # every rep's rows: keep the batch's
            if row["rep_id"] in expected:
                expected[row["rep_id"]][name].append(row)
    assert [r["n"] for r in got["r1"]["quarantine"]] == [1, 2, 5] and got["m1"]["quarantine"] == []
    assert got == expected


def test_page_templates_compiled_once_for_all_builds_change_nothing(tmp_path, monkeypatch):
    """The page templates' compiled code is kept in build.cache_dir/page-templates (pipelines.template_cache).
    The tiny org rendered three times: the first compiles every page template, the second none, the third after
    one compiled file was cut short (a crash mid-write) compiles that one again. Every file is byte for byte the
    same as without a cache. The cache folder is named after settings that are the same in another process (a
    function's name, not its address): a fresh interpreter names the same folder."""
    import json
    import subprocess
    import sys

    import jinja2

    from pipelines.formatting import Fmt
    from pipelines.page_env import environment
    from pipelines.template_cache import compile_settings

    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, *args, **kwargs):
        if filename:
            compiled.append(name)
        return compile_(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    cfg = load_config(TINY)
    con = models_on(TINY, tmp_path)
    catalog = load_catalog()
    cfg.build.cache_dir = str(tmp_path / "cache")  # the configuration page shows it: the same in every render
    blocked = tmp_path / "cache" / "page-templates"
    blocked.parent.mkdir()
    blocked.write_text("a file where the cache folder would go", encoding="utf-8")
    pages.render(cfg, con, catalog, cfg.as_of, tmp_path / "plain")
    every = sorted(set(compiled))
    assert "rep.md.j2" in every and "coaching.md.j2" in every
    blocked.unlink()

    for n, expected in enumerate([every, []]):
        compiled.clear()
        pages.render(cfg, con, catalog, cfg.as_of, tmp_path / f"cached{n}")
        assert sorted(set(compiled)) == expected
        assert _files(tmp_path / f"cached{n}") == _files(tmp_path / "plain")
    (folder,) = (tmp_path / "cache" / "page-templates").iterdir()
    damaged = max(folder.iterdir(), key=lambda p: p.stat().st_size)
    damaged.write_bytes(damaged.read_bytes()[:10])
    compiled.clear()
    pages.render(cfg, con, catalog, cfg.as_of, tmp_path / "cached2")
    assert len(compiled) == 1 and _files(tmp_path / "cached2") == _files(tmp_path / "plain")

    here = compile_settings(environment(Fmt()))
    there = subprocess.run(
        [sys.executable, "-c", "import json; from pipelines.formatting import Fmt; "
         "from pipelines.page_env import environment; from pipelines.template_cache import compile_settings; "
         "print(json.dumps(compile_settings(environment(Fmt()))))"],
        capture_output=True, text=True, check=True).stdout
    assert json.loads(there) == here and "0x" not in here


@pytest.mark.parametrize("recent_quarters", [1, 2, 4, 20])
def test_a_reps_scorecard_older_than_the_pages_show_is_not_fetched_and_not_missed(tmp_path, recent_quarters):
    """The bundle holds a rep's scorecard rows of the recent quarters only: exactly those of all the rows, and
    every rep, team and index page's context is what it is with all of them."""
    con = models_on(TINY, tmp_path)
    b = load_bundle(con, recent_quarters)
    cal = Calendar(b.org["quarters"], recent_quarters)
    every = fetch(con, "select * from rep_scorecard order by rep_id, period_start")
    full = dataclasses.replace(b, by_rep={rid: d | {"scorecard": [r for r in every if r["rep_id"] == rid]}
                                          for rid, d in b.by_rep.items()})
    for rid, d in full.by_rep.items():
        assert b.by_rep[rid]["scorecard"] == [r for r in d["scorecard"] if r["period"] in cal.recent]
    assert len(cal.quarters) <= recent_quarters or len(every) > sum(len(d["scorecard"]) for d in b.by_rep.values())
    assert reps_index(b, cal) == reps_index(full, cal)
    with rep_batch(b, rep_rows(con, list(b.people))), rep_batch(full, rep_rows(con, list(b.people))):
        for rid in b.people:
            assert rep_context(b, rid, cal) == rep_context(full, rid, cal), rid
        assert team_list(b, cal) == team_list(full, cal)
        for t in team_list(b, cal):
            assert team_context(b, t, cal) == team_context(full, t, cal), t["team"]


def test_the_template_cache_outlives_neither_a_filter_nor_the_orgs_currency(tmp_path):
    """Jinja compiles into a template whether a filter exists and what it is passed, and would fold a filter of
    constants into its code. Two orgs share one cache folder: a page template `{{ 1234|money }}` shows each org's
    own currency (no folding), and a filter that takes the environment instead, or a new filter, names another
    folder."""
    import jinja2

    from pipelines.formatting import Fmt
    from pipelines.page_env import environment
    from pipelines.template_cache import compile_settings

    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "money.md.j2").write_text("{{ 1234|money }}", encoding="utf-8")
    shown = []
    for fmt in (Fmt("$", "USD"), Fmt("€", "EUR"), Fmt("$", "USD")):
        env = environment(fmt, None, tmp_path / "cache")
        env.loader = jinja2.FileSystemLoader(tmp_path / "t")
        shown.append(env.get_template("money.md.j2").render())
    assert shown == ["&#36;1.2k", "€1.2k", "&#36;1.2k"]  # a dollar sign is escaped on a page (Markdown math)

    plain = compile_settings(environment(Fmt()))
    env = environment(Fmt())
    env.filters["money"] = jinja2.pass_environment(lambda environment_, v: v)
    assert compile_settings(env) != plain
    env = environment(Fmt())
    env.filters["brand_new"] = str
    assert compile_settings(env) != plain


def test_front_pages_see_no_batch_only_data(tmp_path, monkeypatch):
    """The home, index and data-quality pages render beside the first batch's workers, when that batch's rows are
    in the bundle: they must see the bundle as outside any batch, so that one reading a batch-only mart fails
    (KeyError) instead of showing the first batch's reps as if they were everyone. With one team a batch and two
    workers, every rep the front pages see holds exactly the ACROSS_REPS marts; and the bundle they are given
    is refused if it holds fewer recent quarters than the pages show."""
    from pipelines import workers
    from pipelines.page_data import ACROSS_REPS

    cfg = load_config(TINY)
    con = models_on(TINY, tmp_path)
    catalog = load_catalog()
    seen = []
    for name in ("_home", "_indexes"):
        real = getattr(pages, name)
        monkeypatch.setattr(pages, name, lambda job, *a, _real=real: seen.append(
            {k for d in job.bundle.by_rep.values() for k in d}) or _real(job, *a))
    monkeypatch.setattr(pages, "BATCH_REPS", 1)
    monkeypatch.setattr(workers, "workers_for", lambda n, jobs, per: 2 if n >= 2 else 1)
    pages.render(cfg, con, catalog, cfg.as_of, tmp_path / "forked")
    assert seen == [set(ACROSS_REPS)] * 2

    with pytest.raises(RuntimeError, match="recent quarters"):
        pages.render(cfg, con, catalog, cfg.as_of, tmp_path / "short",
                     bundle=load_bundle(con, cfg.site.recent_quarters - 1))

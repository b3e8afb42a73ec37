"""One site per audience: scope holds in every byte, privacy holds everywhere, the host can gate each folder.

The fixture is a 24-rep demo org (Leadership plus three teams) built once with three audiences:
leaders (everyone), team-a (Northeast only) and private (everyone, with every privacy switch on and no
coaching pages). Who is "inside" team-a is worked out here from the built directory itself: the
people whose team is Northeast, plus the manager their reps report to. Everyone else — the VP, the other
teams' managers and reps — must not appear in any file of team-a: not by id, name or email, in HTML,
JSON, JS, the search index, the CSVs or the gzipped sitemap.
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from pipelines import access
from pipelines.audiences import resolve
from pipelines.catalog import load_catalog
from pipelines.errors import ConfigError
from pipelines.settings import parse_config

AUDIENCES = """
audiences:
  - {name: leaders, scope: all, groups: [sales-leaders]}
  - {name: team-a, scope: {teams: [Northeast]}, groups: [team-northeast, sales-leaders]}
  - {name: private, scope: all, coaching: false, privacy: {hide_amounts: true, hide_quotas: true}}
"""


@pytest.fixture(scope="session")
def audience_build(tmp_path_factory) -> dict:
    """The demo org with AUDIENCES appended to its config.yml, built once: {out, demo, directory}."""
    from pipelines.cli import prepare, run_build
    from pipelines.demo import generate_demo

    tmp = tmp_path_factory.mktemp("audiences")
    demo = tmp / "demo"
    generate_demo(demo, reps=24, seed=3)
    with (demo / "config.yml").open("a", encoding="utf-8") as f:
        f.write(AUDIENCES)
    out = tmp / "site"
    run_build(prepare(demo / "config.yml"), out, tmp / "warehouse")
    with (out / "leaders" / "data" / "rep_directory.csv").open(encoding="utf-8") as f:
        directory = list(csv.DictReader(f))
    with (demo / "reps.csv").open(encoding="utf-8") as f:
        emails = {r["rep_id"]: r["email"] for r in csv.DictReader(f)}
    return {"out": out, "demo": demo, "directory": directory, "emails": emails}


def every_text(root: Path):
    """(path, text) of every file under root, gzip files unpacked."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        yield path, data.decode("utf-8", "replace")


def test_a_team_site_names_nobody_outside_the_team(audience_build):
    directory = audience_build["directory"]
    team = [p for p in directory if p["team"] == "Northeast"]
    inside = {p["rep_id"] for p in team} | {p["manager_id"] for p in team if p["role"] not in ("Manager", "VP")}
    outside = [p for p in directory if p["rep_id"] not in inside]
    inside_names = {p["name"] for p in directory if p["rep_id"] in inside}
    assert len(inside) == 9 and len(outside) == 19  # Quinn Kim and his 8 reps; the VP, 2 managers, 16 reps
    needles = {p["rep_id"] for p in outside} | {p["name"] for p in outside if p["name"] not in inside_names}
    needles |= {audience_build["emails"][p["rep_id"]] for p in outside}
    found = {(str(path.relative_to(audience_build["out"])), n)
             for path, text in every_text(audience_build["out"] / "team-a") for n in needles if n in text}
    assert not found, sorted(found)[:10]
    # ... and the team's own people are all there.
    site = audience_build["out"] / "team-a"
    assert {p.name for p in (site / "reps").iterdir() if p.is_dir()} == inside
    assert [p.name for p in (site / "teams").iterdir() if p.is_dir()] == ["northeast"]


def test_a_team_site_links_to_no_page_it_does_not_have(audience_build):
    """Links to out-of-scope pages are not rendered: every relative link of team-a resolves inside it."""
    import html
    import re

    site = audience_build["out"] / "team-a"
    broken = []
    for page in site.rglob("index.html"):
        for raw in re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8")):
            href = re.split(r"[#?]", html.unescape(raw))[0]
            if not href or ":" in href:
                continue
            target = (page.parent / href).resolve()
            if not (target.exists() or target.with_suffix(".html").exists()):
                broken.append((str(page.relative_to(site)), href))
    assert not broken, broken[:10]


def test_the_leaders_site_has_everyone_and_their_coaching_pages(audience_build):
    site = audience_build["out"] / "leaders"
    reps = {p.name for p in (site / "reps").iterdir() if p.is_dir()}
    assert reps == {p["rep_id"] for p in audience_build["directory"]}
    assert all((site / "reps" / r / "coaching" / "index.html").exists() for r in reps)
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert {p["name"] for p in audience_build["directory"]} <= {d["title"] for d in index["docs"]}


def test_coaching_pages_are_in_an_audience_only_when_it_says_so(audience_build):
    """Default: true for scope all (leaders), false for a team (team-a); private sets false."""
    out = audience_build["out"]
    assert list((out / "leaders" / "reps").glob("*/coaching/index.html"))
    assert not list((out / "team-a" / "reps").glob("*/coaching"))
    assert not list((out / "private" / "reps").glob("*/coaching"))
    assert "coaching/" not in (out / "team-a" / "sitemap.xml").read_text(encoding="utf-8")


def test_no_email_anywhere_with_publish_emails_off(audience_build):
    emails = set(audience_build["emails"].values())
    found = {(str(p), e) for p, text in every_text(audience_build["out"]) for e in emails if e in text}
    assert not found, sorted(found)[:5]


def test_private_audience_downloads_hold_no_money_quota_or_attainment_column(audience_build):
    """Per-rep and per-deal marts (grain names rep_id or opportunity_id) lose every column of kind money,
    quota or attainment (by kind, from the headers and sql/columns.yml); team and org totals stay."""
    catalog = load_catalog()
    data = audience_build["out"] / "private" / "data"
    checked = 0
    for path in sorted(data.glob("*.csv")):
        model = catalog.model(path.stem)
        if not {"rep_id", "opportunity_id"} & set(model.unique):
            continue
        with path.open(encoding="utf-8") as f:
            header = next(csv.reader(f))
        leaked = [c for c in header if model.kinds.get(c) in ("money", "quota", "attainment", "at_risk")]
        assert not leaked, (path.name, leaked)
        checked += 1
    assert checked >= 20
    leaders = audience_build["out"] / "leaders" / "data" / "rep_scorecard.csv"
    assert "won_amount" in leaders.read_text(encoding="utf-8").splitlines()[0]


def test_private_audience_pages_show_no_per_rep_amount(audience_build):
    """With hide_amounts no rep's page, row of the reps index or search entry shows a money figure;
    team and org totals (the home page, team pages) stay, as the setting says."""
    import re

    site = audience_build["out"] / "private"
    money = re.compile(r"\$-?[0-9]")
    pages = [site / "reps" / "index.html", *(site / "reps").glob("*/index.html")]
    assert len(pages) == 29
    for page in pages:
        assert not money.search(page.read_text(encoding="utf-8")), page
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    rep_docs = [d for d in index["docs"] if d["location"].startswith("reps/")]
    assert rep_docs and not [d["location"] for d in rep_docs if money.search(d["text"] + d["title"])]
    assert money.search((site / "index.html").read_text(encoding="utf-8"))


def test_private_audience_pages_chart_no_rep_attainment(audience_build):
    """hide_quotas: no rep's attainment in the chart data of rep and team pages (the org's stays)."""
    site = audience_build["out"] / "private"
    for page in [*(site / "reps").glob("*/index.html"), *(site / "teams").glob("*/index.html")]:
        text = page.read_text(encoding="utf-8")
        assert '"attainment":' not in text and '"kind":"ramp_curve"' not in text, page
    leaders = (audience_build["out"] / "leaders" / "teams" / "northeast" / "index.html").read_text(encoding="utf-8")
    assert '"kind":"attainment_by_rep"' in leaders


def test_the_private_audience_shows_no_reps_results_grade_or_attainment_alert(audience_build):
    out = audience_build["out"]

    def alerts(audience: str) -> list[dict]:
        with (out / audience / "data" / "rep_alerts.csv").open(encoding="utf-8") as f:
            return list(csv.DictReader(f))

    assert [a for a in alerts("leaders") if a["dimension"] == "results"]  # the org has some to hide
    assert not [a for a in alerts("private") if a["dimension"] == "results"]
    assert len(alerts("private")) == len([a for a in alerts("leaders") if a["dimension"] != "results"])
    header = (out / "private" / "data" / "rep_balanced_scorecard.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "pipeline_grade" in header
    # results_at_risk + won_amount = expected_share × quota: money at risk would give the quota back
    assert not {"results_grade", "results_ratio", "results_at_risk", "money_at_risk"} & set(header.split(","))
    with (out / "leaders" / "data" / "rep_balanced_scorecard.csv").open(encoding="utf-8") as f:
        graded = {r["rep_id"] for r in csv.DictReader(f) if r["is_current"] == "true" and r["is_graded"] == "true"}
    hidden = {p.parent.name for p in (out / "private" / "reps").glob("*/index.html")
              if "<td>Results</td><td>hidden</td><td>hidden</td><td>hidden</td>" in p.read_text(encoding="utf-8")}
    # every graded rep's own scorecard; a manager's table of their team's grades keeps the team's Results
    assert len(graded) == 25 and hidden == graded
    leaders = (out / "leaders" / "reps").glob("*/index.html")
    assert not any("<td>Results</td><td>hidden</td>" in p.read_text(encoding="utf-8") for p in leaders)


def test_identical_files_are_stored_once(audience_build):
    out = audience_build["out"]
    bundle = next((out / "leaders" / "assets").rglob("vega*.js"))
    twin = out / "team-a" / bundle.relative_to(out / "leaders")
    assert twin.stat().st_ino == bundle.stat().st_ino


def test_access_json_lists_each_folder_and_its_groups(audience_build):
    got = json.loads((audience_build["out"] / "access.json").read_text(encoding="utf-8"))
    assert got == {"audiences": [
        {"audience": "leaders", "path": "/leaders/", "scope": "all", "groups": ["sales-leaders"]},
        {"audience": "team-a", "path": "/team-a/", "scope": ["Northeast"],
         "groups": ["team-northeast", "sales-leaders"]},
        {"audience": "private", "path": "/private/", "scope": "all", "groups": []},
    ]}
    landing = (audience_build["out"] / "index.html").read_text(encoding="utf-8")
    assert 'href="team-a/"' in landing and "Northeast" not in landing


# --- config errors ---------------------------------------------------------------------------------


def config_with(audiences: str):
    return parse_config(yaml.safe_load(f"org_name: X\n{audiences}"), Path("config.yml"))


def test_an_audience_naming_an_unknown_team_names_the_key_and_the_teams():
    cfg = config_with("audiences: [{name: a, scope: {teams: [Nowhere]}}]")
    with pytest.raises(ConfigError) as e:
        resolve(cfg, ["North", "South"])
    assert "`audiences[0].scope.teams` names 'Nowhere'" in str(e.value)
    assert "the teams are North, South" in str(e.value)


def test_two_audiences_with_one_path_are_refused():
    cfg = config_with("audiences: [{name: north, scope: all}, {per_team: true}]")
    with pytest.raises(ConfigError, match="two audiences have the path north"):
        resolve(cfg, ["North", "South"])


def test_an_unknown_scope_key_is_refused_by_name():
    with pytest.raises(ConfigError, match="region"):
        config_with("audiences: [{name: a, scope: {region: [EMEA]}}]")


def test_per_team_makes_one_audience_per_team_without_coaching():
    cfg = config_with("audiences: [{per_team: true, groups: [sales]}]")
    got = resolve(cfg, ["South", "North"])
    assert [(a.name, sorted(a.teams), a.coaching, a.groups) for a in got] == [
        ("north", ["North"], False, ("sales",)), ("south", ["South"], False, ("sales",))]


# --- the nginx + oauth2-proxy gate, run for real ---------------------------------------------------


class FakeOAuth2Proxy(BaseHTTPRequestHandler):
    """What oauth2-proxy's /oauth2/auth answers: 401 without a session, 403 when the signed-in user is in
    none of allowed_groups, 202 otherwise. The test's session is a `groups` cookie."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)
        cookie = dict(c.strip().split("=", 1) for c in (self.headers.get("Cookie") or "").split(";") if "=" in c)
        if url.path != "/oauth2/auth":
            self.send_response(200)
        elif "groups" not in cookie:
            self.send_response(401)
        else:
            allowed = parse_qs(url.query).get("allowed_groups", [""])[0]
            wanted = {g for g in allowed.split(",") if g}
            self.send_response(202 if not wanted or wanted & set(cookie["groups"].split(",")) else 403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def nginx_gate(audience_build, tmp_path):
    """nginx running the generated config in front of the fake oauth2-proxy; yields a GET function."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "Debian's nginx is needed (make test installs it)"
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), FakeOAuth2Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    port = free_port()
    auds = resolve(config_with(AUDIENCES), ["Northeast", "Mid-Atlantic", "Southeast", "Leadership"])
    server = access.nginx_conf(auds, f"http://127.0.0.1:{proxy.server_address[1]}", listen=f"127.0.0.1:{port}",
                               root=str(audience_build["out"]))
    (tmp_path / "scorecards.conf").write_text(server, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(f"""
user root;
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/scorecards.conf;
}}
""", encoding="utf-8")
    conf = ["-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    check = subprocess.run([nginx, "-t", *conf], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([nginx, *conf], stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stderr.read().decode())
                threading.Event().wait(0.05)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args):
                return None

        opener = urllib.request.build_opener(NoRedirect)

        def get(path: str, groups: str | None = None) -> tuple[int, str]:
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
            if groups is not None:
                req.add_header("Cookie", f"groups={groups}")
            try:
                with opener.open(req, timeout=5) as r:
                    return r.status, r.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as e:
                return e.code, e.headers.get("Location") or e.read().decode("utf-8", "replace")

        yield get
    finally:
        proc.terminate()
        proc.wait(10)
        proxy.shutdown()


def test_the_generated_nginx_config_lets_each_group_into_its_own_folder_only(nginx_gate):
    get = nginx_gate
    status, body = get("/team-a/", "team-northeast")
    assert status == 200 and "Northeast" in body
    assert get("/team-a/reps/r0003/", "team-northeast")[0] == 200
    assert get("/leaders/", "team-northeast")[0] == 403  # signed in, not a leader
    assert get("/leaders/reps/r0011/", "sales-leaders")[0] == 200
    assert get("/team-a/", "sales-leaders")[0] == 200
    status, location = get("/team-a/")  # not signed in: to the sign-in page, then back
    assert status == 302 and location.endswith("/oauth2/sign_in?rd=/team-a/")
    assert get("/private/", "anyone")[0] == 200  # no groups: anyone signed in
    assert get("/", "anyone")[0] == 200
    # The files that say who may see what, and anything outside the folders, are not served.
    for path in ("/access.json", "/nginx-oauth2-proxy.conf", "/leaders/../access.json"):
        assert get(path, "sales-leaders")[0] == 404, path
    status, body = get("/team-a/no-such-page/", "team-northeast")
    assert status == 404 and "Page not found" in body  # the audience's own 404 page


def test_diff_compares_the_audience_that_sees_everything(audience_build):
    from pipelines.diff import diff_sites

    out = audience_build["out"]
    report = diff_sites(out, out)
    assert f"Base: `{out / 'leaders'}`" in report and "No metric changed between the two builds." in report


def test_audience_site_figures_add_up_every_count():
    """Two audiences' site figures: 10 + 4 pages, 8 + 3 filled, 6 + 3 through fast Markdown; the most workers (2)."""
    from pipelines.audience_sites import _sum
    from pipelines.site import SiteResult

    leaders = SiteResult("parallel", 10, 10, 0, 2, 1.5, filled=8, fast_markdown=6)
    team = SiteResult("in-process", 4, 4, 0, 1, 0.5, filled=3, fast_markdown=3)
    total = _sum([leaders, team])
    assert (total.pages, total.rendered, total.reused, total.workers) == (14, 14, 0, 2)
    assert (total.filled, total.fast_markdown, total.seconds) == (11, 9, 2.0)

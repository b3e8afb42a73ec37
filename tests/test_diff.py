"""`pipelines diff`: a change to one metric's SQL shows up with its exact before and after values."""

import shutil

from pipelines.cli import prepare, run_build
from pipelines.diff import diff_sites
from tests.conftest import FIXTURES, ROOT


def _build(tmp_path, name, sql_dir=None):
    out = tmp_path / name
    run_build(prepare(FIXTURES / "tiny" / "config.yml"), out, tmp_path / f"wh-{name}", sql_dir=sql_dir)
    return out


def test_unchanged_build_reports_no_changes(tmp_path, tiny_site):
    assert "No metric changed between the two builds." in diff_sites(tiny_site, _build(tmp_path, "again"))


def test_changed_metric_is_named_with_before_and_after(tmp_path, tiny_site):
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", sql)
    model = sql / "intermediate" / "int_scorecard_rollup.sql"
    text = model.read_text()
    # Redefine average deal size as won amount over ALL closed deals (won + lost).
    old = "divide(won_amount, deals_won - won_deals_without_amount) as avg_deal_size,"
    assert old in text
    model.write_text(text.replace(old, "divide(won_amount, deals_won - won_deals_without_amount + deals_lost) as "
                                       "avg_deal_size,"))
    base, head = tiny_site, _build(tmp_path, "head", sql)
    report = diff_sites(base, head)
    # Only r1 in 2026-Q1 has a lost deal: 150,000 / 2 = 75,000 before, 150,000 / 3 = 50,000 after.
    assert "| `rep_scorecard` | `avg_deal_size` | 1 | 1 |  | r1 / 2026-Q1: 75,000.00 → 50,000.00 |" in report
    assert report.count("| `rep_scorecard` |") == 1  # no other rep metric moved
    # Teams use the same definition (int_scorecard_rollup): East won 3 deals (210,000: r1's two and r2's
    # 60,000) and lost r1's one, so 210,000 / 3 = 70,000 before and 210,000 / 4 = 52,500 after.
    assert "| `team_scorecard` | `avg_deal_size` | 1 |  | 1 | East / 2026-Q1: 70,000.00 → 52,500.00 |" in report
    assert report.count("| `team_scorecard` |") == 1


def test_added_and_removed_columns_and_marts(tmp_path, tiny_site):
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", sql)
    (sql / "marts" / "rep_deal_count.sql").write_text(
        "/*\ngrain: one row per rep.\nunique: [rep_id]\ncolumns:\n  rep_id: The rep.\n  deals: Deals owned.\n*/\n"
        "with\n\nfinal as (\n    select\n        owner_id as rep_id,\n        count(*) as deals,\n"
        "    from int_opportunities\n    group by owner_id\n)\n\nselect * from final\n"
    )
    model = sql / "marts" / "rep_pipeline_by_stage.sql"
    model.write_text(model.read_text().replace("    count(*) as open_deals,\n", "    count(*) as open_deals,\n    1 as marker,\n")
                     .replace("  open_deals: Deals open in the stage today.\n", "  open_deals: Deals open in the stage today.\n  marker: A test column.\n"))
    base, head = tiny_site, _build(tmp_path, "head", sql)
    report = diff_sites(base, head)
    assert "- mart `rep_deal_count` added (2 columns)." in report
    assert "- `rep_pipeline_by_stage.marker`: column added." in report
    back = diff_sites(head, base)
    assert "- mart `rep_deal_count` removed." in back
    assert "- `rep_pipeline_by_stage.marker`: column removed." in back

"""The stages a build knows: the ones config.yml lists, or the ones the export itself describes.

Every quality rule that depends on what a stage means (a closed deal needs a close date, a won deal
should carry an amount) and every model reads one table, `extract_stages` (stage, kind, probability,
stage_order), so the stages are decided once, before the deals are checked.
"""

from __future__ import annotations

import duckdb

from pipelines.settings import Config

STAGE_COLUMNS = "stage varchar, kind varchar, probability double, stage_order integer"


def configured_stages(con: duckdb.DuckDBPyConnection, cfg: Config) -> None:
    """`extract_stages` from config `stages`, in their order (empty when config lists none)."""
    con.execute(f"create or replace table extract_stages ({STAGE_COLUMNS})")
    if cfg.stages:
        con.executemany(
            "insert into extract_stages values (?, ?, ?, ?)",
            [[s.name, s.kind, s.probability, i + 1] for i, s in enumerate(cfg.stages)],
        )


def kind_of(stage_sql: str, kinds: str) -> str:
    """SQL: whether the stage named by `stage_sql` is of one of `kinds` (e.g. "'won', 'lost'")."""
    return f"{stage_sql} in (select s.stage from extract_stages as s where s.kind in ({kinds}))"


def _scale(probability: str, x: str) -> str:
    """SQL: the probability as 0-1; an export that writes any value above 1 writes percentages."""
    return f"(case when (select max({probability}) from {x}) > 1 then {probability} / 100.0 else {probability} end)"


KIND_ORDER = {"open": 0, "won": 1, "lost": 2}


def _write(con: duckdb.DuckDBPyConnection, stages: list[tuple[str, str, float | None]]) -> None:
    """Replace `extract_stages` with (stage, kind, probability) in this order."""
    con.execute("delete from extract_stages")
    if stages:
        con.executemany("insert into extract_stages values (?, ?, ?, ?)", [[*s, i + 1] for i, s in enumerate(stages)])


def describe_from_deals(con: duckdb.DuckDBPyConnection, x: str, known_order: list[str]) -> int:
    """Fill `extract_stages` from what the deals say about their stage; returns how many stages were described.

    Kind: won when the deals in it are won, lost when closed and not won, else open (by majority, so one
    odd row cannot flip a stage). Probability: the most common among its deals (it may differ per deal;
    that never fails). Order: open stages, then won, then lost; within them the export's StageSortOrder,
    else the probability (it rises along a sales process), else the preset's standard order, else the name.
    """
    rows = con.execute(
        f"""with described as (
            select stage,
                case when is_won then 'won' when is_closed then 'lost' else 'open' end as kind,
                {_scale('probability', x)} as probability, stage_sort_order
            from {x} where stage is not null and is_closed is not null and (is_won is not null or not is_closed)
        ), kinds as (
            select stage, arg_max(kind, n) as kind from (
                select stage, kind, count(*) + any_value(case kind when 'open' then 0.2 when 'lost' then 0.1 else 0 end)
                    as n
                from described group by stage, kind) group by stage
        ), probabilities as (
            select stage, arg_max(probability, n) as probability from (
                select stage, probability, count(*) + any_value(probability) / 1000 as n
                from described where probability is not null group by stage, probability) group by stage
        )
        select kinds.stage, kinds.kind, probabilities.probability, min(d.stage_sort_order) as sort_order
        from kinds left join probabilities using (stage) inner join described as d using (stage)
        group by all"""
    ).fetchall()
    position = {name: i for i, name in enumerate(known_order)}
    big = float("inf")
    rows.sort(key=lambda r: (KIND_ORDER[r[1]], big if r[3] is None else r[3], big if r[2] is None else r[2],
                             position.get(r[0], big), r[0]))
    _write(con, [(stage, kind, None if p is None else round(p, 4)) for stage, kind, p, _ in rows])
    return len(rows)


def describe_from_history(con: duckdb.DuckDBPyConnection, x: str) -> list[str]:
    """Add the stages only the history names (a stage since renamed or retired), described by their most common
    probability in the history (100%: won, 0%: lost, else open), each open one placed after the open stages of
    no higher probability. Returns the names added."""
    added = con.execute(
        f"""select stage, mode(round({_scale('probability', x)}, 4)) as probability from {x}
        where stage is not null and stage not in (select s.stage from extract_stages as s)
        group by stage order by probability nulls first, stage"""
    ).fetchall()
    if not added:
        return []
    stages = con.execute("select stage, kind, probability from extract_stages order by stage_order").fetchall()
    for stage, p in added:
        kind = "won" if p == 1 else "lost" if p == 0 else "open"
        same = [i for i, s in enumerate(stages) if s[1] == kind]
        if p is None or not same:  # nothing to place it by: after the stages of its kind
            at = same[-1] + 1 if same else len(stages)
        else:
            before = [i for i in same if (stages[i][2] or 0) <= p]
            at = before[-1] + 1 if before else same[0]
        stages.insert(at, (stage, kind, p))
    _write(con, stages)
    return [stage for stage, _ in added]


def describe_note(con: duckdb.DuckDBPyConnection, display: str) -> str:
    """The note that says which stages were read from the export, so the user sees what `stages:` would change."""
    stages = con.execute("select stage, kind, probability from extract_stages order by stage_order").fetchall()
    listed = ", ".join(f"{s} ({k}{'' if p is None else f' {p:.0%}'})" for s, k, p in stages)
    return (f"{display}: config lists no `stages`, so they are read from the export (IsClosed, IsWon, StageSortOrder, "
            f"Probability): {listed}. List them under `stages:` in config.yml to change any.")

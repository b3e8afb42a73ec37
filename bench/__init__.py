"""`make bench`: how long a build takes, how much memory it needs, and how that grows with reps.

A dev tool, not part of the runtime package: `pipelines` keeps no state for it and knows
nothing of it. Each build it measures is a real `python -m pipelines build` in its own
process, timed from process start, and reports its own figures through `build --timings`.

    python -m bench                         # 50, 500, 1,000 and 5,000 reps
    python -m bench --sizes 50,500 --repeat 3
    make bench SIZES=50,1000,5000,20000

Modules, one job each: `orgs` (the cached demo orgs and their next day), `builds` (running
and timing one build), `memory` (peak memory of a process tree), `bound` (the lower bound),
`report` (the table and the targets), `machine` (what the JSON says about the machine),
`__main__` (the run and the results JSON in bench/results/).

Timings belong here, never in pass/fail tests: the targets are printed, not enforced.
"""

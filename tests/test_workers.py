"""pipelines.workers: the one fork pool the pages stage and the site stage both render with."""

from __future__ import annotations

import os
import threading

import pytest

from pipelines import workers


def test_work_is_inherited_not_pickled_and_every_item_is_done_once():
    lock = threading.Lock()  # cannot be pickled: the closure reaches the workers only by fork
    items = list(range(1000))

    def work(chunk):
        with lock:
            return os.getpid(), [i * 2 for i in chunk]

    results, used = workers.fork_map(work, items, jobs=2, min_per_worker=10)
    assert used == 2
    assert sorted(x for _, xs in results for x in xs) == [i * 2 for i in items]
    assert os.getpid() not in {pid for pid, _ in results}
    # A few contiguous chunks per worker, so one slow share does not leave a core idle.
    assert len(results) == 2 * workers.CHUNKS_PER_WORKER
    assert all(xs == list(range(xs[0], xs[-1] + 1, 2)) for _, xs in results)


def test_too_few_items_or_one_job_run_in_this_process():
    def work(chunk):
        return os.getpid(), len(chunk)

    assert workers.fork_map(work, list(range(99)), jobs=2, min_per_worker=50) == ([(os.getpid(), 99)], 1)
    assert workers.fork_map(work, list(range(1000)), jobs=1) == ([(os.getpid(), 1000)], 1)
    assert workers.fork_map(work, [], jobs=2) == ([(os.getpid(), 0)], 1)


def test_an_exception_in_a_worker_is_raised_in_the_parent():
    def work(chunk):
        if 500 in chunk:
            raise ValueError("page 500 broke")
        return len(chunk)

    with pytest.raises(ValueError, match="page 500 broke"):
        workers.fork_map(work, list(range(1000)), jobs=2, min_per_worker=10)


def test_workers_are_capped_by_jobs_cores_and_items():
    assert workers.workers_for(10_000, None, 1) == workers.available_cores()
    assert workers.workers_for(10_000, 3, 1) == 3
    assert workers.workers_for(99, 8, 50) == 1
    assert workers.workers_for(100, 8, 50) == 2
    assert workers.workers_for(0, 8, 50) == 1


@pytest.mark.parametrize("jobs", [1, 2])
def test_meanwhile_runs_once_in_this_process_and_never_reaches_the_workers(jobs):
    """`meanwhile` runs here, once, whether the chunks ran in workers (forked before it) or here (before it):
    the workers' results see the list as it was when they started, 0 extra items, and the parent sees 1."""
    seen: list[int] = []

    def work(chunk):
        return [(item, len(seen)) for item in chunk]

    def meanwhile():
        seen.append(os.getpid())

    done, used = workers.fork_map(work, list(range(40)), jobs=jobs, min_per_worker=10, meanwhile=meanwhile)
    assert used == jobs and seen == [os.getpid()]
    assert sorted(x for chunk in done for x in chunk) == [(i, 0) for i in range(40)]


def test_background_steps_run_in_order_until_stop_hands_back_the_rest():
    """Steps run one after another on a thread; `stop` waits for the one under way and returns those not started,
    which the caller then runs itself: every step runs once, in order, whoever runs it."""
    ran, gate = [], threading.Event()

    def step(n):
        def run():
            ran.append((n, threading.current_thread().name))
            if n == 1:
                gate.wait(5)  # the thread is inside step 1 when stop is called
        return run

    steps = [step(n) for n in range(4)]
    background = workers.Background(steps)
    while not ran or ran[-1][0] != 1:
        threading.Event().wait(0.01)
    stopped = []
    stopping = threading.Thread(target=lambda: stopped.append(background.stop()))
    stopping.start()
    background._stopping.wait(5)  # asked to stop while step 1 is still under way
    gate.set()
    stopping.join()
    rest = stopped[0]
    assert [n for n, _ in ran] == [0, 1] and rest == steps[2:]
    assert {name for _, name in ran} == {"background-steps"}
    for run in rest:
        run()
    assert [n for n, _ in ran] == [0, 1, 2, 3]
    assert background.stop() == steps[2:]  # a second stop changes nothing


def test_a_background_steps_error_is_raised_by_stop_unless_cancelling():
    def fails():
        raise OSError("No space left on device")

    never = []
    background = workers.Background([fails, lambda: never.append(1)])
    with pytest.raises(OSError, match="No space left"):
        background.stop()
    assert never == []
    # Cancelling interrupts the step under way (DuckDB raises in it), and raises nothing: the caller is failing
    # already, and its own error is the one to report.
    interrupted, after = threading.Event(), []

    def waits_to_be_interrupted():
        interrupted.wait(5)
        raise RuntimeError("INTERRUPT Error: Interrupted!")

    steps = [waits_to_be_interrupted, lambda: after.append(1)]
    background = workers.Background(steps, interrupt=interrupted.set)
    while not background._started:  # the first step is under way
        threading.Event().wait(0.01)
    assert background.stop(cancel=True) == steps[1:]
    assert interrupted.is_set() and after == []

"""Run-by-run timing for quantdash-bench: a peer script started with `--serve` sets everything up
(sessions, warm-up runs), then times one unit of work per request, so the bench can alternate its
own timed runs with the peer's and a busy moment of the machine slows both alike.

Protocol (stdin / stdout, one line each; everything else the script prints goes to stderr):
`ready` once set up; then for each `run KEY` the milliseconds of one call of KEY's timer
(`time.perf_counter_ns` around it), or `error ...`; `quit` (or end of input) ends the script.
"""
import sys
import time


def serve(timers):
    """Answers run requests for `timers` ({key: function doing one timed unit}) until `quit`."""
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "run" and len(words) == 2 and words[1] in timers:
            start = time.perf_counter_ns()
            timers[words[1]]()
            print(f"{(time.perf_counter_ns() - start) / 1e6:.3f}", flush=True)
        else:
            print(f"error: unknown request {line.strip()!r}; known: {', '.join(sorted(timers))}", flush=True)

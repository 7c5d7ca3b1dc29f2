"""Key-to-frame latency of the real dashboard in tmux while the engine evaluates ResNet-50.

Starts `quantdash --model M --data X --labels Y` in a 120x40 tmux window, waits for the first
frame, then (while the float baseline and estimates run) sends Down/Up keys and polls
`tmux capture-pane` every 2 ms until the frame changes. Prints each latency and the median.
The figure includes tmux's own delivery and capture, so it is an upper bound on the app's time.

    python3 Scripts/key_to_frame.py .build/release/quantdash MODEL.onnx X.npy Y.npy

(issue 12.3; `quantdash-bench --only scale-latency` measures the same in-process, without tmux).
"""
import statistics, subprocess, sys, time
binary, model, data, labels = sys.argv[1:5]
sock = "k2f"
def tmux(*a): return subprocess.run(["tmux", "-L", sock, *a], capture_output=True, text=True).stdout
subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
tmux("new-session", "-d", "-s", "k", "-x", "120", "-y", "40",
     f"env TERM=tmux-256color LANG=C.UTF-8 {binary} --model {model} --data {data} --labels {labels} --sessions-folder /tmp/k2f-sessions")
start = time.time()
while "Layers" not in tmux("capture-pane", "-p", "-t", "k"):
    if time.time() - start > 300: sys.exit("no frame in 300 s")
    time.sleep(0.05)
print(f"first frame after {time.time() - start:.1f} s")
time.sleep(1.0)
lat = []
for i in range(30):
    key = "Down" if i % 2 == 0 else "Up"
    before = tmux("capture-pane", "-p", "-t", "k")
    t0 = time.perf_counter()
    tmux("send-keys", "-t", "k", key)
    titles = [line for line in before.splitlines() if "Histogram" in line]
    while True:
        now = tmux("capture-pane", "-p", "-t", "k")
        # The selection moved when the histogram's title (it names the layer) changed.
        if [line for line in now.splitlines() if "Histogram" in line] != titles:
            break
        if time.perf_counter() - t0 > 5: break
        time.sleep(0.002)
    lat.append((time.perf_counter() - t0) * 1000)
    time.sleep(0.2)
busy = "evaluating" in tmux("capture-pane", "-p", "-t", "k")
print("the engine was still evaluating at the end" if busy else "note: the evaluation had ended before the last key")
tmux("send-keys", "-t", "k", "q"); time.sleep(0.5); tmux("send-keys", "-t", "k", "n")
subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
print("latencies ms:", " ".join(f"{x:.0f}" for x in lat))
print(f"median {statistics.median(lat):.1f} ms, max {max(lat):.1f} ms, n={len(lat)}")

#!/usr/bin/env python3
"""The dashboard under abuse: random keys, mouse clicks and resizes in a real terminal (tmux).

Sends --keys random keys (printable characters, arrows, paging, function keys, Esc, Enter, Tab,
Backspace, Delete, every Ctrl combination, including those that open dialogs, save, export and
quit), --mouse raw mouse reports and --resizes window resizes (random sizes from 10x5 to
250x80), seeded, interleaved at random. Every --check-every events it checks that the process
is alive, that the screen shows a sane frame (the title line or "terminal too small"; this is
also checked after every send-keys call), and that it answers: at 120x40 (once the terminal
has that size and a full frame is drawn: see `resize_and_wait`), after Esc, `?` must open the
help within --timeout seconds.

The dashboard runs with a temporary working directory and --sessions-folder inside it, under a
wrapper loop: when a random key sequence quits it (q, then n at "unsaved changes"), the wrapper
records the exit status and the tty modes it left (exactly the modes before the run: `stty -g`;
echo, icanon, icrnl, opost on),
this script checks tmux's view of the screen (alternate screen off, cursor visible, keypad and
mouse modes off), and the wrapper starts it again (which offers the autosave: more dialogs).
Keys still queued when it quit are read by the next run.
Typed text never contains "/", so every path typed into a prompt names a file in the temporary
directory. At the end it quits, checks the same, and prints counts.

Exit status 0 when nothing was found; 1 with a list of findings (crash, hang, bad frame, exit
status other than 0, terminal not restored).

Usage: Scripts/abuse_dashboard.py PATH/TO/quantdash [--seed 1] [--keys 10000] [--resizes 200]
"""

import argparse
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

NAMED_KEYS = [
    "Up", "Down", "Left", "Right", "PageUp", "PageDown", "Home", "End", "Enter", "Escape", "Tab",
    "BTab", "BSpace", "DC", "IC",
] + [f"F{n}" for n in range(1, 13)]
CONTROL_KEYS = [f"C-{c}" for c in "abcdefghijklmnopqrstuvwxyz"] + ["C-\\", "C-]", "C-^", "C-_", "C-@"]
# Printable ASCII without "/" (paths typed into prompts stay inside the working directory).
PRINTABLE = [chr(c) for c in range(0x20, 0x7F) if chr(c) != "/"]
# Non-ASCII text: accents, a combining mark, wide CJK, emoji, right-to-left, a zero-width joiner.
UNICODE = ["é", "ß", "e\u0301", "中", "文", "😀", "👍🏽", "ש", "\u200d", "✓", "€", "Ω"]
# The dashboard's own keys, weighted up so dialogs, edits, saves and exports happen often.
BOUND = list("?qkj+=-_12345678sgafu* r][}{tplwoeyn") + ["Enter", "Escape", "Up", "Down", "C-c", "C-s", "C-r"]
MODES = ["echo", "icanon", "icrnl", "opost"]
RESTORED = "alternate=0 cursor=1 keypad-cursor=0 keypad=0 mouse=0"

WRAPPER = r"""
# The "shell" modes the dashboard must give back. Flow control and signal keys are off: random
# keys still arriving after a quit must not stop the output (Ctrl-S) or kill the process in the
# instant between restoring the terminal and exiting (Ctrl-C: exit 130, ordinary tty behaviour).
stty -ixon -isig
saved=$(stty -g)
trap '' INT QUIT TSTP            # stray Ctrl-C/Ctrl-Z between runs must not stop this loop
run=0
while :; do
    run=$((run + 1))
    (trap - INT QUIT TSTP; exec "$QD_BINARY" --sessions-folder "$QD_WORK/Sessions")
    status=$?
    modes=$(stty -a)
    off=""
    for m in MODES; do grep -qE "(^| )$m( |;|$)" <<<"$modes" || off="$off $m"; done
    [ "$(stty -g)" = "$saved" ] || off="$off (not-the-saved-modes)"
    echo "$run $status $(date +%s.%N)${off:- ok}" >> "$QD_WORK/exits.log"
    stty -echo -icanon -isig     # stray keys sent after the exit go nowhere
    read -r command < "$QD_WORK/control.fifo"
    [ "$command" = quit ] && break
    stty "$saved"                # keys still queued are read by the next run
    clear
done
""".replace("MODES", " ".join(MODES))


class Abuse:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.work = tempfile.mkdtemp(prefix="qd-abuse-")
        self.socket = f"qd-abuse-{os.getpid()}"
        self.counts = {"keys": 0, "mouse": 0, "resizes": 0, "checks": 0, "check resizes": 0, "send calls": 0,
                       "frame checks": 0}
        self.key_kinds = {"printable": 0, "bound": 0, "named": 0, "unicode": 0, "control": 0}
        self.findings = []
        self.exits_seen = 0
        self.exit_statuses = []
        self.help_latencies = []
        self.memory = []
        self.size = (120, 40)

    # --- tmux -------------------------------------------------------------------------------
    def tmux(self, *arguments, check=True):
        result = subprocess.run(["tmux", "-L", self.socket, *arguments], capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(arguments)}: {result.stderr.strip()}")
        return result.stdout

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "abuse", check=False)

    def flags(self):
        return self.tmux(
            "display", "-p", "-t", "abuse",
            "alternate=#{alternate_on} cursor=#{cursor_flag} keypad-cursor=#{keypad_cursor_flag} "
            "keypad=#{keypad_flag} mouse=#{mouse_any_flag}").strip()

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False

    def resize(self, width, height):
        self.tmux("resize-window", "-t", "abuse", "-x", str(width), "-y", str(height))
        self.size = (width, height)

    def resize_and_wait(self, width, height):
        """Resizes, then waits until the dashboard's terminal has the size and a frame drawn at it.

        tmux (3.3) applies a pane resize that follows another within about 250 ms only after a
        timer: `resize-window` returns at once, but the pty keeps the old size for up to ~230 ms
        (measured with `stty -F PANE_TTY size`). Keys sent in that time reach the dashboard while
        its terminal is still the old size; at a random "too small" size it ignores every key
        but quit (nothing may change unseen), so a check's Esc Esc Esc ? was lost there and the
        help never opened. The checks therefore send their keys only once the pty has the size
        and the dashboard has drawn a full frame (title line, not "too small") for it.
        """
        self.resize(width, height)
        tty = self.tmux("display", "-p", "-t", "abuse", "#{pane_tty}").strip()

        def applied():
            size = subprocess.run(["stty", "-F", tty, "size"], capture_output=True, text=True).stdout.split()
            return size == [str(height), str(width)]

        def full_frame():
            text = self.screen()
            return text.startswith(" quantdash ") and "too small" not in text

        return self.wait_for(applied, 5) and self.wait_for(
            lambda: full_frame() or self.has_new_exit(), self.args.timeout)

    # --- the process ----------------------------------------------------------------------
    def start(self):
        os.mkfifo(os.path.join(self.work, "control.fifo"))
        wrapper = os.path.join(self.work, "wrapper.sh")
        with open(wrapper, "w") as file:
            file.write(WRAPPER)
        environment = (
            f"env TERM=tmux-256color LANG=C.UTF-8 {' '.join(map(shlex.quote, self.args.env))} "
            f"QD_BINARY={shlex.quote(self.args.quantdash)} "
            f"QD_WORK={shlex.quote(self.work)}")
        self.tmux("new-session", "-d", "-s", "abuse", "-x", "120", "-y", "40", "-c", self.work,
                  f"{environment} bash {shlex.quote(wrapper)}; sleep 600")
        if not self.wait_for(self.dashboard_is_drawn, 60):
            raise RuntimeError("the dashboard did not start:\n" + self.screen())

    def dashboard_is_drawn(self):
        text = self.screen()
        # The title line, or one of the "too small" forms (down to "80×24" at 10 columns).
        return text.startswith(" quantdash ") or "too small" in text or "80×24" in text or "80x24" in text

    def exits(self):
        path = os.path.join(self.work, "exits.log")
        if not os.path.exists(path):
            return []
        with open(path) as file:
            return [line.split() for line in file.read().splitlines()]

    def has_new_exit(self):
        return len(self.exits()) > self.exits_seen

    def handle_exits(self, expected=False):
        """Checks runs that ended since the last look; returns whether the dashboard is down."""
        exits = self.exits()
        if len(exits) == self.exits_seen:
            return False
        for run, status, _ended, *modes in exits[self.exits_seen:]:
            self.exit_statuses.append(int(status))
            if status != "0":
                self.finding(f"run {run} exited with status {status}")
            if modes != ["ok"]:
                self.finding(f"run {run} left tty modes off: {' '.join(modes)}")
        self.exits_seen = len(exits)
        flags = self.flags()
        if flags != RESTORED:
            self.finding(f"after exit {self.exits_seen}: terminal not restored: {flags}")
        if not expected:
            self.restart()
        return True

    def restart(self):
        with open(os.path.join(self.work, "control.fifo"), "w") as fifo:
            fifo.write("go\n")
        # Queued keys may quit the new run before a frame is seen: that counts as having come back.
        if not self.wait_for(lambda: self.dashboard_is_drawn() or self.has_new_exit(), 60):
            self.finding("the dashboard did not come back after a restart")

    def finding(self, text):
        screen = self.screen()
        self.findings.append(f"{text} (after {self.counts['keys']} keys, {self.counts['resizes']} resizes)")
        print(f"abuse: FINDING: {text}\n--- screen ---\n{screen}", file=sys.stderr)

    # --- events -----------------------------------------------------------------------------
    def random_key(self):
        choice = self.rng.random()
        if choice < 0.35:
            self.key_kinds["bound"] += 1
            key = self.rng.choice(BOUND)
        elif choice < 0.65:
            self.key_kinds["printable"] += 1
            key = self.rng.choice(PRINTABLE)
        elif choice < 0.82:
            self.key_kinds["named"] += 1
            key = self.rng.choice(NAMED_KEYS)
        elif choice < 0.85:
            self.key_kinds["unicode"] += 1
            key = self.rng.choice(UNICODE)
        else:
            self.key_kinds["control"] += 1
            key = self.rng.choice(CONTROL_KEYS)
        if self.args.no_quit and key in ("q", "C-c"):
            key = "x"
        return "\\;" if key == ";" else key

    def random_mouse(self):
        """An X10 mouse report: press, release or wheel at a random cell (maybe off screen)."""
        button = self.rng.choice([0, 0, 0, 3, 64, 65, 2])
        column = self.rng.randint(0, 222)
        row = self.rng.randint(0, 79)
        return ["1b", "5b", "4d"] + [f"{32 + value:02x}" for value in (button, column + 1, row + 1)]

    def send_keys(self, keys):
        if keys:
            self.tmux("send-keys", "-t", "abuse", *keys)
            self.counts["send calls"] += 1
            self.handle_exits()
            # After every batch: a sane frame (the title line or a "too small" form).
            if not self.wait_for(lambda: self.dashboard_is_drawn() or self.has_new_exit(), self.args.timeout):
                self.finding("no sane frame after a batch of keys")
            self.counts["frame checks"] += 1

    def dashboard_memory(self):
        """The resident memory (MiB) of the running dashboard (the supervisor's child), or None."""
        found = subprocess.run(["pgrep", "-n", "-f", "--", f"--sessions-folder {self.work}/Sessions"],
                               capture_output=True, text=True).stdout.split()
        try:
            with open(f"/proc/{found[0]}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except (IndexError, OSError, ValueError):
            return None
        return None

    def check(self):
        """Alive, a sane frame, and `?` opens the help within the timeout."""
        self.counts["checks"] += 1
        memory = self.dashboard_memory()
        if memory is not None:
            self.memory.append(memory)
        if not self.wait_for(lambda: self.dashboard_is_drawn() or self.has_new_exit(), self.args.timeout):
            self.finding("no sane frame (neither the title line nor 'terminal too small')")
        if self.handle_exits():
            return
        if not self.resize_and_wait(120, 40):
            self.finding("no full frame at 120x40 after a resize")
        if self.handle_exits():
            return
        self.counts["check resizes"] += 1
        start = time.monotonic()
        for _ in range(3):
            self.tmux("send-keys", "-t", "abuse", "Escape")
            time.sleep(0.06)
        self.tmux("send-keys", "-t", "abuse", "?")
        if self.wait_for(lambda: "Esc/? closes" in self.screen() or self.has_new_exit(),
                         self.args.timeout):
            if self.handle_exits():
                return
            self.help_latencies.append(time.monotonic() - start)
            self.tmux("send-keys", "-t", "abuse", "Escape")
            if not self.wait_for(lambda: "Esc/? closes" not in self.screen(), self.args.timeout):
                self.finding("help did not close on Esc")
        else:
            self.finding(f"unresponsive: help did not open within {self.args.timeout} s")

    def run(self):
        started = time.monotonic()
        self.start()
        events = ["key"] * self.args.keys + ["mouse"] * self.args.mouse + ["resize"] * self.args.resizes
        self.rng.shuffle(events)
        pending = []
        for index, event in enumerate(events, 1):
            if event == "key":
                pending.append(self.random_key())
                self.counts["keys"] += 1
                if len(pending) >= self.args.batch:
                    self.send_keys(pending)
                    pending = []
            else:
                self.send_keys(pending)
                pending = []
                if event == "mouse":
                    self.tmux("send-keys", "-t", "abuse", "-H", *self.random_mouse())
                    self.counts["mouse"] += 1
                else:
                    self.resize(self.rng.randint(10, 250), self.rng.randint(5, 80))
                    self.counts["resizes"] += 1
            if index % self.args.check_every == 0:
                self.send_keys(pending)
                pending = []
                self.check()
            if len(self.findings) >= self.args.max_findings:
                break
        self.send_keys(pending)
        self.check()
        self.handle_exits()
        self.quit()
        self.duration = time.monotonic() - started

    def quit(self):
        self.handle_exits()
        if not self.resize_and_wait(120, 40):
            self.finding("no full frame at 120x40 before quitting")
        for _ in range(3):
            self.tmux("send-keys", "-t", "abuse", "Escape")
            time.sleep(0.06)
        self.tmux("send-keys", "-t", "abuse", "q")
        # Quitting asks first while fine-tuning runs (random keys may have started one: y stops
        # it) and when the plan has unsaved changes (n discards them); either, both or neither.
        for _ in range(2):
            asked = lambda: ("unsaved changes" in self.screen() or "Fine-tuning is running" in self.screen()
                             or self.has_new_exit())
            if not self.wait_for(asked, 30) or self.has_new_exit():
                break
            question = "Fine-tuning is running" if "Fine-tuning is running" in self.screen() else "unsaved changes"
            self.tmux("send-keys", "-t", "abuse", "y" if question == "Fine-tuning is running" else "n")
            self.wait_for(lambda: question not in self.screen() or self.has_new_exit(), 10)
        if not self.wait_for(self.has_new_exit, 30):
            self.finding("q, n did not quit")
            return
        self.handle_exits(expected=True)
        with open(os.path.join(self.work, "control.fifo"), "w") as fifo:
            fifo.write("quit\n")

    def report(self):
        files = sorted(
            os.path.relpath(os.path.join(folder, name), self.work)
            for folder, _, names in os.walk(self.work) for name in names
            if name not in ("wrapper.sh", "control.fifo", "exits.log"))
        latencies = sorted(self.help_latencies)
        options = " ".join(self.args.env + (["--no-quit"] if self.args.no_quit else []))
        print(f"abuse: seed {self.args.seed}{' ' + options if options else ''}: {self.counts['keys']} keys ({', '.join(f'{v} {k}' for k, v in self.key_kinds.items())}), "
              f"{self.counts['mouse']} mouse reports, {self.counts['resizes']} random resizes "
              f"(+{self.counts['check resizes']} to 120x40 for checks), {self.counts['send calls']} send-keys calls")
        print(f"abuse: {self.counts['frame checks']} frame checks (one per send-keys call), "
              f"{self.counts['checks']} liveness checks; help opened in "
              f"median {latencies[len(latencies) // 2] if latencies else float('nan'):.2f} s, "
              f"max {max(latencies, default=float('nan')):.2f} s; dashboard memory (RSS) at the checks "
              f"{min(self.memory, default=float('nan')):.0f}–{max(self.memory, default=float('nan')):.0f} MiB")
        if self.args.verbose:
            print("abuse: memory at the checks (MiB): " + " ".join(f"{m:.0f}" for m in self.memory))
        print(f"abuse: {len(self.exit_statuses)} dashboard runs ended (statuses {self.exit_statuses}); "
              f"{len(self.exit_statuses) - 1} quits came from random keys and were restarted")
        print(f"abuse: {len(files)} files written, all inside the temporary folder: {', '.join(files[:12])}"
              f"{' …' if len(files) > 12 else ''}")
        print(f"abuse: {self.duration:.0f} s, {len(self.findings)} findings")
        for finding in self.findings:
            print(f"abuse: finding: {finding}")

    def cleanup(self):
        if self.args.keep:
            print(f"abuse: kept {self.work} and tmux -L {self.socket} (kill-server when done)")
            return
        self.tmux("kill-server", check=False)
        shutil.rmtree(self.work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("quantdash")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--mouse", type=int, default=300)
    parser.add_argument("--resizes", type=int, default=200)
    parser.add_argument("--batch", type=int, default=40, help="keys per tmux send-keys call")
    parser.add_argument("--check-every", type=int, default=500, help="events between liveness checks")
    parser.add_argument("--timeout", type=float, default=30, help="seconds the help may take to open")
    parser.add_argument("--max-findings", type=int, default=10)
    parser.add_argument("--verbose", action="store_true", help="print the memory at every check")
    parser.add_argument("--no-quit", action="store_true",
                        help="never send q or Ctrl-C (one dashboard process gets every key)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and the tmux server")
    parser.add_argument("--env", nargs="*", default=[], metavar="NAME=VALUE",
                        help="environment for the dashboard, e.g. LANG=C NO_COLOR=1 TERM=screen")
    args = parser.parse_args()
    args.quantdash = os.path.abspath(args.quantdash)
    abuse = Abuse(args)
    try:
        abuse.run()
        abuse.report()
    finally:
        abuse.cleanup()
    sys.exit(1 if abuse.findings else 0)


if __name__ == "__main__":
    main()

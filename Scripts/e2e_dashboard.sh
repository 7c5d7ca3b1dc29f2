#!/usr/bin/env bash
# End-to-end check of the dashboard in a real terminal (tmux): it starts on the demo, reacts to
# keys, survives resizes, quits cleanly with the terminal restored, and refuses unusable terminals.
# Usage: Scripts/e2e_dashboard.sh [path/to/quantdash]
set -euo pipefail
binary=${1:-.build/release/quantdash}
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
work=$(mktemp -d)
socket="qd-e2e-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "e2e: FAIL: $*"; echo "--- screen ---"; tmux -L "$socket" capture-pane -p -t e2e 2>/dev/null || true; exit 1; }
screen() { tmux -L "$socket" capture-pane -p -t e2e; }
wait_for() {  # wait_for TEXT [seconds]
    local deadline=$((SECONDS + ${2:-20}))
    until screen | grep -qF -- "$1"; do
        [ $SECONDS -lt $deadline ] || fail "did not see '$1'"
        sleep 0.2
    done
}

cd "$work"
tmux -L "$socket" new-session -d -s e2e -x 120 -y 40 "env TERM=tmux-256color LANG=C.UTF-8 '$binary'; echo \"[exit \$?]\"; stty -a | grep -q ' echo ' && echo tty-restored; sleep 30"
wait_for "Histogram · fc1"
wait_for "float     top-1  95.80 %"
tmux -L "$socket" send-keys -t e2e 4
wait_for "4-bit symmetric channel"
wait_for "current   top-1"
tmux -L "$socket" send-keys -t e2e j s
wait_for "Histogram · fc2"
tmux -L "$socket" resize-window -t e2e -x 70 -y 20
wait_for "terminal too small: have 70×20, need 80×24"
tmux -L "$socket" resize-window -t e2e -x 80 -y 24
wait_for "Layers"
tmux -L "$socket" send-keys -t e2e '?'
wait_for "Esc/? closes"
tmux -L "$socket" send-keys -t e2e Escape w
wait_for "Save session preset"
tmux -L "$socket" send-keys -t e2e e 2 e Enter
wait_for "saved "
[ -f Sessions/e2e.json ] || fail "Sessions/e2e.json was not written"
tmux -L "$socket" send-keys -t e2e 3 q
wait_for "unsaved changes"
tmux -L "$socket" send-keys -t e2e n
wait_for "[exit 0]"
wait_for "tty-restored"   # the shell's echo mode is back: the terminal was restored
echo "e2e: dashboard starts, edits, resizes, saves and quits cleanly"

for term in dumb nonexistent; do
    out=$(TERM=$term script -qec "$binary" /dev/null 2>&1 || true)
    echo "$out" | grep -q "terminal \"$term\"" || { echo "e2e: FAIL: TERM=$term gave: $out"; exit 1; }
done
out=$(env -u TERM script -qec "$binary" /dev/null 2>&1 || true)
echo "$out" | grep -qi "TERM" || { echo "e2e: FAIL: unset TERM gave: $out"; exit 1; }
echo "e2e: unusable terminals are refused with one line"
echo "e2e: 2 passed, 0 failed"

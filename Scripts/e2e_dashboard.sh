#!/usr/bin/env bash
# End-to-end check of the dashboard in a real terminal (tmux): it starts on the demo, reacts to
# keys, survives resizes, quits cleanly with the terminal restored, survives `kill -9` (the
# supervising parent restores the terminal and says what the autosave holds; the restart offers
# it), forwards SIGTERM, keeps presets with their model (--session, o on another model's
# preset), discards the autosave on an explicit "quit without saving", ends on a hang-up, and
# refuses unusable terminals.
# Usage: Scripts/e2e_dashboard.sh [path/to/quantdash]
set -euo pipefail
binary=${1:-.build/release/quantdash}
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
work=$(mktemp -d)
socket="qd-e2e-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
pane=e2e
fail() { echo "e2e: FAIL: $*"; echo "--- screen ---"; tmux -L "$socket" capture-pane -p -t "$pane" 2>/dev/null || true; exit 1; }
screen() { tmux -L "$socket" capture-pane -p -t "$pane"; }
wait_for() {  # wait_for TEXT [seconds]
    local deadline=$((SECONDS + ${2:-20}))
    until screen | grep -qF -- "$1"; do
        [ $SECONDS -lt $deadline ] || fail "did not see '$1'"
        sleep 0.2
    done
}
wait_for_line() {  # wait_for_line EXTENDED-REGEX [seconds]
    local deadline=$((SECONDS + ${2:-20}))
    until screen | grep -qE -- "$1"; do
        [ $SECONDS -lt $deadline ] || fail "no line matched /$1/"
        sleep 0.2
    done
}
type_line() { tmux -L "$socket" send-keys -t "$pane" -l "$1"; tmux -L "$socket" send-keys -t "$pane" Enter; }
# The terminal state tmux tracks for the pane: alternate screen, cursor, keypad modes, mouse.
expect_terminal_restored() {
    local flags
    flags=$(tmux -L "$socket" display -p -t "$pane" \
        'alternate=#{alternate_on} cursor=#{cursor_flag} keypad-cursor=#{keypad_cursor_flag} keypad=#{keypad_flag} mouse=#{mouse_any_flag}')
    [ "$flags" = "alternate=0 cursor=1 keypad-cursor=0 keypad=0 mouse=0" ] || fail "terminal not restored: $flags"
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
tmux -L "$socket" send-keys -t e2e -l 'x y'
tmux -L "$socket" send-keys -t e2e C-u e 2 e Enter
wait_for_line 'saved .*Sessions/e2e\.json'   # not just "saved ": the dialog says "saved as"
[ -f Sessions/e2e.json ] || fail "Sessions/e2e.json was not written"
cp Sessions/e2e.json "$work/e2e-preset.json"
tmux -L "$socket" send-keys -t e2e 3 q
wait_for "unsaved changes"
wait_for "n discard changes and quit"
tmux -L "$socket" send-keys -t e2e n
wait_for "[exit 0]"
ls Sessions/.autosave* >/dev/null 2>&1 && fail "quitting without saving left an autosave: $(ls -a Sessions)"
wait_for "tty-restored"   # the shell's echo mode is back: the terminal was restored
echo "e2e: dashboard starts, edits, resizes, saves and quits cleanly"

# kill -9 of the dashboard (the process holding the screen: the newest quantdash, child of the
# supervisor the shell started). In an interactive shell, so typing into it afterwards is real.
pane=k9
rm -rf Sessions
tmux -L "$socket" new-session -d -s k9 -x 120 -y 40 "env TERM=tmux-256color LANG=C.UTF-8 PS1='$ ' bash --norc --noprofile -i"
wait_for '$'
type_line "clear; '$binary'; echo \"[exit \$?]\""
wait_for "float     top-1  95.80 %"
tmux -L "$socket" send-keys -t k9 4 j 2 j ']' ']'
wait_for_line 'fc3 .*\|w\| ≤ 0\.00'
ls Sessions/.autosave-*.json >/dev/null 2>&1 || fail "no autosave after the edits"
# The pane's shell runs the supervisor, whose child is the dashboard (what `pgrep -n quantdash`
# finds when only one is running; here we go through the pane so parallel runs cannot interfere).
dashboard_pid() {
    local shell supervisor
    shell=$(tmux -L "$socket" display -p -t "$pane" '#{pane_pid}')
    supervisor=$(pgrep -P "$shell" -x quantdash) && pgrep -P "$supervisor" -x quantdash
}
dashboard=$(dashboard_pid) || fail "no dashboard process under a quantdash supervisor in the pane"
kill -9 "$dashboard"
wait_for "[exit 137]"
wait_for "ended by SIGKILL; the terminal was restored"
wait_for "autosaved in Sessions/.autosave-"
expect_terminal_restored
type_line "clear; head -1"
type_line "typed-back"
wait_for_line '^typed-back$'
[ "$(screen | grep -c '^typed-back$')" = 2 ] || fail "typed text was not echoed (echo off after kill -9?)"
type_line 'for m in echo icanon isig icrnl opost; do stty -a | grep -qE "(^| )$m( |;|$)" || echo "mode-$m-off"; done; echo modes-checked'
wait_for "modes-checked"
screen | grep -qE "mode-[a-z]+-off" && fail "tty modes not restored after kill -9"
type_line "clear; '$binary'; echo \"[exit \$?]\""
wait_for "Restore it?"
tmux -L "$socket" send-keys -t k9 y
wait_for_line 'fc1 .* 4 symmetric'
wait_for_line 'fc2 .* 2 symmetric'
wait_for_line 'fc3 .*\|w\| ≤ 0\.00'
# SIGTERM sent to the supervisor (the shell's job) reaches the dashboard, which restores and exits.
dashboard=$(dashboard_pid) || fail "no dashboard process under a quantdash supervisor in the pane"
kill -TERM "$(ps -o ppid= -p "$dashboard" | tr -d ' ')"
wait_for "[exit 143]"
expect_terminal_restored
type_line "echo shell-ok-\$((40 + 2))"
wait_for "shell-ok-42"
echo "e2e: after kill -9 the terminal works without stty sane and the restart restores every edit; SIGTERM is forwarded"
pane=e2e

# Presets keep their model: `--session e2e` opens demo-mlp even without --model; loading the MLP
# preset into a CNN session asks first and says which layers match; kill -9 with nothing changed
# reports that nothing was autosaved.
pane=ses
rm -rf Sessions
mkdir -p Sessions
cp "$work/e2e-preset.json" Sessions/e2e.json 2>/dev/null || true
tmux -L "$socket" new-session -d -s ses -x 100 -y 30 "env TERM=tmux-256color LANG=C.UTF-8 PS1='$ ' bash --norc --noprofile -i"
wait_for '$'
type_line "clear; '$binary' --model demo-cnn; echo \"[exit \$?]\""
wait_for "quantdash · demo-cnn"
tmux -L "$socket" send-keys -t ses o
wait_for "Load session preset"
tmux -L "$socket" send-keys -t ses Enter
wait_for "was made for demo-mlp"
wait_for "Layers of this model with its names: fc1, fc2."
tmux -L "$socket" send-keys -t ses y
wait_for "to 2 matching layers: fc1, fc2; not saved"
wait_for_line 'unsaved session'
tmux -L "$socket" send-keys -t ses q y
wait_for "Save session preset"
tmux -L "$socket" send-keys -t ses -l e2e
tmux -L "$socket" send-keys -t ses Enter
wait_for "holds another model: demo-mlp"
tmux -L "$socket" send-keys -t ses n
wait_for "kept as it was"
grep -q '"path" : "demo-mlp"' Sessions/e2e.json || fail "the MLP preset was overwritten: $(head -20 Sessions/e2e.json)"
tmux -L "$socket" send-keys -t ses q
wait_for "n discard changes and quit"
tmux -L "$socket" send-keys -t ses n
wait_for "[exit 0]"
type_line "clear; '$binary' --session e2e; echo \"[exit \$?]\""
wait_for "quantdash · demo-mlp"
wait_for "opened preset e2e"
dashboard=$(dashboard_pid) || fail "no dashboard process under a quantdash supervisor in the pane"
kill -9 "$dashboard"
wait_for "[exit 137]"
wait_for "Nothing was autosaved in"
echo "e2e: presets open with their own model, another model's preset is applied only when confirmed and never overwritten silently"
pane=e2e

# Editing that flows (issue 15.9-15.15) at 100x30, then 80x24: the layer settings dialog sets a
# range the table shows, the threshold prompt previews its sparsity, help scrolls by pages, the
# size bars and the sparsity column stay at 80x24, and the preset list renames and deletes.
pane=flow
rm -rf Sessions
tmux -L "$socket" new-session -d -s flow -x 100 -y 30 "env TERM=tmux-256color LANG=C.UTF-8 '$binary'; echo \"[exit \$?]\"; sleep 30"
wait_for "float  top-1  95.80 %"
tmux -L "$socket" send-keys -t flow 4 c
wait_for "Layer settings · fc1"
tmux -L "$socket" send-keys -t flow Down Down Down Right Right Right Right
wait_for "range       * ‹ mse ›"
tmux -L "$socket" send-keys -t flow Enter
wait_for "fc1: range mse"
wait_for_line 'fc1 .* 4 symmetric .* mse '
tmux -L "$socket" send-keys -t flow Space j Space c Down Down Down Down Down Right Right Right Right Right Right Enter
wait_for "applied to 2 marked: fc1, fc2"
wait_for_line 'fc2 .* 2:4 '
tmux -L "$socket" send-keys -t flow t
wait_for "largest |w| is"
tmux -L "$socket" send-keys -t flow -l 0.05
wait_for_line '\|w\| ≤ 0\.05 prunes (≈ )?[0-9.]+ % of fc2'
tmux -L "$socket" send-keys -t flow Escape '?'
wait_for "Layer table columns"
tmux -L "$socket" send-keys -t flow End
wait_for "select that row's layer"
tmux -L "$socket" send-keys -t flow Escape
tmux -L "$socket" resize-window -t flow -x 80 -y 24
wait_for_line 'layer .* sparsity'
wait_for_line 'fc1 [^│]*█.* [0-9]+%'
tmux -L "$socket" send-keys -t flow w
wait_for "Save session preset"
tmux -L "$socket" send-keys -t flow -l flow
tmux -L "$socket" send-keys -t flow Enter
wait_for_line 'saved .*Sessions/flow\.json' 120  # waits for the exact result (MSE ranges are slow in debug builds)
tmux -L "$socket" send-keys -t flow o
wait_for "d delete"
tmux -L "$socket" send-keys -t flow r C-u
tmux -L "$socket" send-keys -t flow -l flow2
tmux -L "$socket" send-keys -t flow Enter
wait_for "Rename the saved preset 'flow' to 'flow2'?"
tmux -L "$socket" send-keys -t flow y
wait_for "renamed preset flow to flow2"
[ -f Sessions/flow2.json ] && [ ! -f Sessions/flow.json ] || fail "rename did not move the file: $(ls Sessions)"
tmux -L "$socket" send-keys -t flow d
wait_for "Delete the saved preset 'flow2'?"
tmux -L "$socket" send-keys -t flow y
wait_for "no presets saved yet"
[ -f Sessions/flow2.json ] && fail "delete left Sessions/flow2.json"
tmux -L "$socket" send-keys -t flow q
wait_for "n discard changes and quit"
tmux -L "$socket" send-keys -t flow n
wait_for "[exit 0]"
echo "e2e: layer settings dialog, threshold preview, help pages, 80x24 table and size bars, preset rename and delete"
pane=e2e

# A hang-up (the tmux session closed under the dashboard) ends it: Linux sends SIGHUP only to the
# session leader, the supervisor, which forwards it; nothing may keep polling the dead terminal.
pane=hup
tmux -L "$socket" new-session -d -s hup -x 100 -y 30 "env TERM=tmux-256color LANG=C.UTF-8 '$binary'"
wait_for "float  top-1  95.80 %"
hup_supervisor=$(tmux -L "$socket" display -p -t hup '#{pane_pid}')
hup_child=$(pgrep -P "$hup_supervisor" -x quantdash) || fail "no dashboard under the supervisor"
tmux -L "$socket" kill-session -t hup
for _ in $(seq 100); do
    kill -0 "$hup_supervisor" 2>/dev/null || kill -0 "$hup_child" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$hup_supervisor" 2>/dev/null || kill -0 "$hup_child" 2>/dev/null; then
    kill -9 "$hup_supervisor" "$hup_child" 2>/dev/null || true
    echo "e2e: FAIL: the dashboard outlived its terminal's hang-up by 10 s"
    exit 1
fi
echo "e2e: a hang-up ends the dashboard and its supervisor"
pane=e2e

for term in dumb nonexistent; do
    out=$(TERM=$term script -qec "$binary" /dev/null 2>&1 || true)
    echo "$out" | grep -q "terminal \"$term\"" || { echo "e2e: FAIL: TERM=$term gave: $out"; exit 1; }
done
out=$(env -u TERM script -qec "$binary" /dev/null 2>&1 || true)
echo "$out" | grep -qi "TERM" || { echo "e2e: FAIL: unset TERM gave: $out"; exit 1; }
echo "e2e: unusable terminals are refused with one line"
echo "e2e: 6 passed, 0 failed"

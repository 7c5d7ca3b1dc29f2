// The supervising parent: the process the user started spawns the dashboard as a child, waits
// for it, and puts the terminal back however the child ended — including `kill -9`, which no
// process can handle for itself.
//
// The parent never touches curses state and never reads the terminal. Before spawning it saves
// the terminal's modes and looks up (in terminfo) the strings that reset attributes, show the
// cursor, leave keypad-transmit mode and leave the alternate screen. When the child is gone and
// the terminal's modes differ from the saved ones (the child died with the terminal in raw
// mode), it writes those strings (plus "mouse reporting off") and restores the modes. A child
// that restored the terminal itself leaves the modes as they were, so nothing is written twice.
//
// Signals: SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to the parent by another process (`kill`)
// are forwarded to the child, which restores the terminal and exits 128 + signal. Ctrl-C and
// Ctrl-\ typed on the terminal already reach the whole foreground process group, child included,
// so the parent does not repeat them. A hang-up (the terminal window or tmux session closed)
// does not: Linux sends SIGHUP only to the session leader, this parent, so it is always
// forwarded (without it the child kept polling a dead terminal at full CPU).
#define _GNU_SOURCE 1 /* environ, prctl */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

extern char **environ;

// The child's pid while one is supervised (0 otherwise), and a forwarded signal that arrived
// while the spawn was still under way. Both are only touched with sequentially consistent
// atomics, so a signal sent in the instant between the spawn and the store of the pid is handed
// over exactly once: whichever side takes it out of `pending_signal` forwards it.
static int supervised_child = 0;
static int pending_signal = 0;
static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define FORWARDED_COUNT (sizeof forwarded_signals / sizeof forwarded_signals[0])

static void forward_pending(pid_t child) {
    int signal_number = __atomic_exchange_n(&pending_signal, 0, __ATOMIC_SEQ_CST);
    if (signal_number != 0) { kill(child, signal_number); }
}

static void forward_signal(int signal_number, siginfo_t *info, void *context) {
    (void)context;
    // si_code <= 0: sent by a process (kill, sigqueue, tgkill). The kernel's own (a key on the
    // terminal) has si_code > 0 and already reached the child's process group; a hang-up's
    // SIGHUP (si_code > 0 too) reached only this session leader.
    if (info == NULL || (info->si_code > 0 && signal_number != SIGHUP)) { return; }
    int saved_errno = errno;
    pid_t child = (pid_t)__atomic_load_n(&supervised_child, __ATOMIC_SEQ_CST);
    if (child > 0) {
        kill(child, signal_number);
    } else {
        // Not spawned yet (or just now): leave it for the spawning thread, then look again in
        // case the pid was stored in between.
        __atomic_store_n(&pending_signal, signal_number, __ATOMIC_SEQ_CST);
        child = (pid_t)__atomic_load_n(&supervised_child, __ATOMIC_SEQ_CST);
        if (child > 0) { forward_pending(child); }
    }
    errno = saved_errno;
}

static void append_string(char *buffer, size_t capacity, size_t *length, const char *text) {
    if (text == NULL || text == (char *)-1) { return; }
    size_t count = strlen(text);
    if (*length + count >= capacity) { return; }
    memcpy(buffer + *length, text, count);
    *length += count;
}

static int modes_differ(const struct termios *a, const struct termios *b) {
    return a->c_iflag != b->c_iflag || a->c_oflag != b->c_oflag || a->c_cflag != b->c_cflag
        || a->c_lflag != b->c_lflag || memcmp(a->c_cc, b->c_cc, sizeof a->c_cc) != 0;
}

static void write_fully(int fd, const char *bytes, size_t length) {
    size_t written = 0;
    while (written < length) {
        ssize_t n = write(fd, bytes + written, length - written);
        if (n < 0 && errno == EINTR) { continue; }
        if (n <= 0) { return; }
        written += (size_t)n;
    }
}

/* The terminfo strings that undo what the dashboard set up, for `term` (empty when unknown). */
static size_t restore_sequence(const char *term, int tty_fd, char *buffer, size_t capacity) {
    size_t length = 0;
    // Mouse reporting off: normal tracking, button-event tracking, SGR extended coordinates.
    append_string(buffer, capacity, &length, "\033[?1000l\033[?1002l\033[?1006l");
    if (term == NULL || term[0] == '\0') { return length; }
    TERMINAL *previous = cur_term;
    int status = 0;
    if (setupterm(term, tty_fd, &status) != OK || status != 1) {
        set_curterm(previous);
        return length;
    }
    TERMINAL *loaded = cur_term;
    append_string(buffer, capacity, &length, tigetstr("sgr0"));
    append_string(buffer, capacity, &length, tigetstr("cnorm"));
    append_string(buffer, capacity, &length, tigetstr("rmkx"));
    append_string(buffer, capacity, &length, tigetstr("rmcup"));
    del_curterm(loaded);
    set_curterm(previous);
    return length;
}

int qd_supervise(int tty_fd, const char *term, const char *path, char *const argv[], int *ending_signal,
                 int *restored_terminal) {
    *ending_signal = 0;
    *restored_terminal = 0;
    struct termios saved_modes;
    if (tcgetattr(tty_fd, &saved_modes) != 0) { return -1; }
    char sequence[512];
    size_t sequence_length = restore_sequence(term, tty_fd, sequence, sizeof sequence);

    char parent_pid[32];
    snprintf(parent_pid, sizeof parent_pid, "%ld", (long)getpid());
    if (setenv(QD_SUPERVISOR_ENVIRONMENT_NAME, parent_pid, 1) != 0) { return -1; }

    // Handlers before the spawn, so no forwarded signal is lost in between; exec resets them
    // to the default in the child.
    struct sigaction action;
    struct sigaction previous[FORWARDED_COUNT];
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    action.sa_sigaction = forward_signal;
    __atomic_store_n(&pending_signal, 0, __ATOMIC_SEQ_CST);
    for (size_t i = 0; i < FORWARDED_COUNT; i++) { sigaction(forwarded_signals[i], &action, &previous[i]); }

    // The child starts with no blocked signals and default dispositions for the forwarded
    // ones, whatever the calling thread had.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (size_t i = 0; i < FORWARDED_COUNT; i++) { sigaddset(&defaults, forwarded_signals[i]); }
    posix_spawnattr_setsigmask(&attributes, &empty);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t child = 0;
    int spawn_error = posix_spawn(&child, path, NULL, &attributes, argv, environ);
    posix_spawnattr_destroy(&attributes);
    unsetenv(QD_SUPERVISOR_ENVIRONMENT_NAME);
    int result = -1;
    if (spawn_error == 0) {
        __atomic_store_n(&supervised_child, (int)child, __ATOMIC_SEQ_CST);
        forward_pending(child);
        int status = 0;
        pid_t waited;
        do { waited = waitpid(child, &status, 0); } while (waited < 0 && errno == EINTR);
        __atomic_store_n(&supervised_child, 0, __ATOMIC_SEQ_CST);
        if (waited == child && WIFSIGNALED(status)) {
            *ending_signal = WTERMSIG(status);
            result = 128 + WTERMSIG(status);
        } else if (waited == child && WIFEXITED(status)) {
            result = WEXITSTATUS(status);
        } else {
            result = 1;
        }
        struct termios current_modes;
        if (tcgetattr(tty_fd, &current_modes) == 0 && modes_differ(&current_modes, &saved_modes)) {
            write_fully(tty_fd, sequence, sequence_length);
            tcsetattr(tty_fd, TCSANOW, &saved_modes);
            *restored_terminal = 1;
        }
    } else {
        errno = spawn_error;
    }
    for (size_t i = 0; i < FORWARDED_COUNT; i++) { sigaction(forwarded_signals[i], &previous[i], NULL); }
    return result;
}

int qd_supervised_child_setup(void) {
    const char *value = getenv(QD_SUPERVISOR_ENVIRONMENT_NAME);
    if (value == NULL) { return 0; }
    long supervisor = strtol(value, NULL, 10);
    unsetenv(QD_SUPERVISOR_ENVIRONMENT_NAME);
#if defined(__linux__)
    // If the supervisor dies first, end too (SIGHUP restores the terminal like a hang-up).
    prctl(PR_SET_PDEATHSIG, SIGHUP);
    if ((long)getppid() != supervisor) { raise(SIGHUP); }
#else
    (void)supervisor;
#endif
    return 1;
}

int qd_open_pseudo_terminal(char *path, size_t capacity) {
    int controller = posix_openpt(O_RDWR | O_NOCTTY);
    if (controller < 0) { return -1; }
    const char *name = NULL;
    if (grantpt(controller) != 0 || unlockpt(controller) != 0 || (name = ptsname(controller)) == NULL
        || strlen(name) >= capacity) {
        close(controller);
        return -1;
    }
    strcpy(path, name);
    return controller;
}

// Signal handling and restoring the terminal on exit paths ncurses itself does not cover.
//
// Terminating signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT) only record the signal number in a
// `volatile sig_atomic_t`: endwin is not async-signal-safe, so the event loop (on the main
// thread, where every curses call happens) notices the flag within one polling slice, calls
// endwin and exits with 128 + signal. If a second terminating signal arrives while the first is
// still unhandled (the main thread is stuck), the handler restores the terminal with
// async-signal-safe calls only (write, tcsetattr) and `_exit`s.
//
// While the dashboard runs, standard error (when it is a terminal) goes to an unlinked
// temporary file instead of garbling the screen; it is replayed on the restored terminal when
// the session ends, including on a crash, so the Swift runtime's "Fatal error: ..." line (printed
// before the trap, while the alternate screen is up) is not lost.
//
// Crashes (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT: a Swift trap is SIGILL or SIGTRAP)
// get the same async-signal-safe restore, then the previous handler (Swift's backtracer, or the
// default action) runs, so its report lands on a readable screen. SIGKILL and SIGSTOP cannot be
// caught: for `kill -9` the supervising parent (supervisor.c) restores the terminal instead.
#define _XOPEN_SOURCE 700 /* wcwidth, SA_SIGINFO */
#include "shim.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

static volatile sig_atomic_t pending_signal = 0;
static volatile sig_atomic_t session_active = 0;
static int handlers_installed = 0;
static int atexit_registered = 0;

static int tty_fd = -1;
static struct termios shell_modes;
static int have_shell_modes = 0;
static char restore_bytes[512];
static size_t restore_length = 0;

static int saved_stderr = -1;
static int captured_stderr = -1;

static const int terminating_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT};
#define TERMINATING_COUNT (sizeof terminating_signals / sizeof terminating_signals[0])
#define CRASH_COUNT (sizeof crash_signals / sizeof crash_signals[0])
static struct sigaction previous_terminating[TERMINATING_COUNT];
static struct sigaction previous_crash[CRASH_COUNT];

static void append_restore_bytes(const char *bytes) {
    if (bytes == NULL || bytes == (char *)-1) { return; }
    size_t length = strlen(bytes);
    if (restore_length + length >= sizeof restore_bytes) { return; }
    memcpy(restore_bytes + restore_length, bytes, length);
    restore_length += length;
}

static void write_all(int fd, const char *bytes, size_t length) {
    size_t written = 0;
    while (written < length) {
        ssize_t n = write(fd, bytes + written, length - written);
        if (n < 0 && errno == EINTR) { continue; }
        if (n <= 0) { return; }
        written += (size_t)n;
    }
}

// Async-signal-safe: dup2, lseek, read, write, close.
static void replay_stderr(void) {
    if (saved_stderr < 0) { return; }
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    saved_stderr = -1;
    char buffer[4096];
    ssize_t n;
    if (lseek(captured_stderr, 0, SEEK_SET) == 0) {
        while ((n = read(captured_stderr, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
            if (n > 0) { write_all(STDERR_FILENO, buffer, (size_t)n); }
        }
    }
    close(captured_stderr);
    captured_stderr = -1;
}

int qd_capture_stderr(void) {
    if (saved_stderr >= 0) { return 1; }
    if (!isatty(STDERR_FILENO)) { return 0; }
    const char *directory = getenv("TMPDIR");
    char path[512];
    size_t length = strlen(directory != NULL && directory[0] != '\0' ? directory : "/tmp");
    if (length + sizeof "/quantdash-stderr-XXXXXX" > sizeof path) { return 0; }
    strcpy(path, directory != NULL && directory[0] != '\0' ? directory : "/tmp");
    strcat(path, "/quantdash-stderr-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) { return 0; }
    unlink(path);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    if (saved_stderr < 0 || dup2(fd, STDERR_FILENO) < 0) {
        if (saved_stderr >= 0) { close(saved_stderr); }
        saved_stderr = -1;
        close(fd);
        return 0;
    }
    captured_stderr = fd;
    return 1;
}

void qd_release_stderr(void) {
    fflush(stderr);
    replay_stderr();
}

// Async-signal-safe: only write(2), tcsetattr(3) and replay_stderr.
static void emergency_restore(void) {
    if (!session_active) { return; }
    session_active = 0;
    write_all(tty_fd, restore_bytes, restore_length);
    if (have_shell_modes) { tcsetattr(tty_fd, TCSANOW, &shell_modes); }
    replay_stderr();
}

static void on_terminating_signal(int signal_number) {
    if (pending_signal != 0 && session_active) {
        // The loop did not pick up the first signal: do not wait for it any longer.
        emergency_restore();
        _exit(128 + signal_number);
    }
    pending_signal = signal_number;
}

static void on_crash_signal(int signal_number, siginfo_t *info, void *context) {
    (void)context;
    int saved_errno = errno;
    emergency_restore();
    for (size_t i = 0; i < CRASH_COUNT; i++) {
        if (crash_signals[i] == signal_number) {
            sigaction(signal_number, &previous_crash[i], NULL);
        }
    }
    errno = saved_errno;
    // A fault re-executes the faulting instruction when we return and reaches the previous
    // handler with its real context; a signal that was sent (kill, raise, abort) is re-sent.
    if (info == NULL || info->si_code <= 0 || signal_number == SIGABRT) { raise(signal_number); }
}

static void restore_at_exit(void) {
    if (session_active) {
        session_active = 0;
        curs_set(1);
        endwin();
    }
    qd_release_stderr();
}

void qd_save_tty_modes(int fd) {
    tty_fd = fd;
    have_shell_modes = tcgetattr(fd, &shell_modes) == 0;
}

void qd_session_begin(int fd, int mouse_enabled) {
    tty_fd = fd;
    restore_length = 0;
    if (mouse_enabled) {
        // Mouse reporting off: normal tracking, button-event tracking, SGR extended coordinates.
        append_restore_bytes("\033[?1000l\033[?1002l\033[?1006l");
    }
    append_restore_bytes(tigetstr("sgr0"));
    append_restore_bytes(tigetstr("cnorm"));
    append_restore_bytes(tigetstr("rmkx"));
    append_restore_bytes(tigetstr("rmcup"));
    session_active = 1;
    if (!atexit_registered) {
        atexit_registered = atexit(restore_at_exit) == 0;
    }
}

void qd_session_end(void) { session_active = 0; }

int qd_session_is_active(void) { return session_active != 0; }

void qd_install_signal_handlers(void) {
    if (handlers_installed) { return; }
    handlers_installed = 1;
    pending_signal = 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: a blocking read returns EINTR, so the loop wakes up at once.
    action.sa_handler = on_terminating_signal;
    for (size_t i = 0; i < TERMINATING_COUNT; i++) {
        sigaction(terminating_signals[i], &action, &previous_terminating[i]);
    }
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO;
    action.sa_sigaction = on_crash_signal;
    for (size_t i = 0; i < CRASH_COUNT; i++) {
        sigaction(crash_signals[i], &action, &previous_crash[i]);
    }
}

void qd_remove_signal_handlers(void) {
    if (!handlers_installed) { return; }
    handlers_installed = 0;
    for (size_t i = 0; i < TERMINATING_COUNT; i++) {
        sigaction(terminating_signals[i], &previous_terminating[i], NULL);
    }
    for (size_t i = 0; i < CRASH_COUNT; i++) {
        sigaction(crash_signals[i], &previous_crash[i], NULL);
    }
}

int qd_take_pending_signal(void) {
    int signal_number = pending_signal;
    pending_signal = 0;
    return signal_number;
}

int qd_column_width(wchar_t code_point) { return wcwidth(code_point); }

#ifndef QUANTDASH_NCURSES_SHIM_H
#define QUANTDASH_NCURSES_SHIM_H

#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <ncursesw/curses.h>
#include <ncursesw/term.h>

/* Wrappers for what Swift cannot import from curses.h: function-like macros (COLOR_PAIR,
   getmaxyx, A_BOLD, BUTTON1_PRESSED, KEY_F(n)), and mutable globals that Swift 6 strict
   concurrency rejects (stdscr, stdout, stdin, COLORS, COLOR_PAIRS). Every function that touches
   curses state is called from the main thread only (NcursesBackend documents why). */

/* ---- Locale ------------------------------------------------------------------------------- */

/* Adopts the user's locale from the environment (LANG, LC_ALL, LC_CTYPE); returns 0 on failure.
   Must run before newterm so ncurses sees a UTF-8 LC_CTYPE. */
static inline int qd_setlocale_from_environment(void) { return setlocale(LC_ALL, "") != NULL; }

/* The character encoding of the current locale, e.g. "UTF-8" or "ANSI_X3.4-1968". */
static inline const char *qd_codeset(void) { return nl_langinfo(CODESET); }

/* ---- Globals ------------------------------------------------------------------------------ */

static inline WINDOW *qd_stdscr(void) { return stdscr; }
static inline FILE *qd_stdout(void) { return stdout; }
static inline FILE *qd_stdin(void) { return stdin; }
static inline int qd_lines(void) { return LINES; }
static inline int qd_cols(void) { return COLS; }
/* How many colours and colour pairs the terminal supports (valid after start_color). */
static inline int qd_colors(void) { return COLORS; }
static inline int qd_color_pairs(void) { return COLOR_PAIRS; }

/* Rows and columns of a window (the getmaxyx macro). */
static inline int qd_max_y(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)x; return y; }
static inline int qd_max_x(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)y; return x; }

/* ---- Terminal description ----------------------------------------------------------------- */

/* 1 when terminfo knows `term` and describes a screen ncurses can drive (cursor addressing, not
   a hardcopy or generic terminal such as "dumb"), else 0. Prints nothing and leaves no terminal
   loaded, so a bad TERM becomes a clean error instead of ncurses' own message and exit. */
static inline int qd_terminal_is_usable(const char *term, int fd) {
    int status = 0;
    TERMINAL *previous = cur_term;
    if (setupterm(term, fd, &status) != OK || status != 1) { return 0; }
    TERMINAL *probe = cur_term;
    const char *cursor_address_string = tigetstr("cup");
    int is_usable = cursor_address_string != NULL && cursor_address_string != (char *)-1
        && tigetflag("hc") <= 0 && tigetflag("gn") <= 0;
    del_curterm(probe);
    set_curterm(previous);
    return is_usable;
}

/* ---- Attributes and colours --------------------------------------------------------------- */

static inline int qd_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline attr_t qd_attr_normal(void) { return WA_NORMAL; }
static inline attr_t qd_attr_bold(void) { return WA_BOLD; }
static inline attr_t qd_attr_dim(void) { return WA_DIM; }
static inline attr_t qd_attr_reverse(void) { return WA_REVERSE; }
static inline attr_t qd_attr_underline(void) { return WA_UNDERLINE; }

/* ---- Drawing ------------------------------------------------------------------------------ */

/* The most code points one cell holds: a spacing character plus combining marks. */
static inline int qd_cchar_max(void) { return CCHARW_MAX; }

/* Writes one cell: `count` code points (the first spacing, the rest combining; at most
   CCHARW_MAX) with attributes and colour pair, at row y, column x. Returns ERR when the cell is
   outside the window. The bottom-right cell is written too: waddch reports ERR there only
   because the cursor cannot advance (scrollok is off), so that case counts as success. */
static inline int qd_put_cell(WINDOW *w, int y, int x, const wchar_t *text, int count,
                              attr_t attributes, int pair) {
    wchar_t buffer[CCHARW_MAX + 1];
    int n = count < CCHARW_MAX ? count : CCHARW_MAX;
    for (int i = 0; i < n; i++) { buffer[i] = text[i]; }
    buffer[n] = L'\0';
    cchar_t cell;
    if (setcchar(&cell, buffer, attributes, (short)pair, NULL) == ERR) { return ERR; }
    if (wmove(w, y, x) == ERR) { return ERR; }
    int result = wadd_wch(w, &cell);
    if (result == ERR && y == getmaxy(w) - 1 && x == getmaxx(w) - 1) { return OK; }
    return result;
}

/* Columns the code point takes on the terminal (wcwidth: 1, 2 for wide, 0 for combining, -1 for
   non-printable), in the current locale. */
int qd_column_width(wchar_t code_point);

/* ---- Input -------------------------------------------------------------------------------- */

static inline int qd_err(void) { return ERR; }
static inline int qd_ok(void) { return OK; }
static inline int qd_key_code_yes(void) { return KEY_CODE_YES; }
static inline int qd_key_up(void) { return KEY_UP; }
static inline int qd_key_down(void) { return KEY_DOWN; }
static inline int qd_key_left(void) { return KEY_LEFT; }
static inline int qd_key_right(void) { return KEY_RIGHT; }
static inline int qd_key_page_up(void) { return KEY_PPAGE; }
static inline int qd_key_page_down(void) { return KEY_NPAGE; }
static inline int qd_key_home(void) { return KEY_HOME; }
static inline int qd_key_end(void) { return KEY_END; }
static inline int qd_key_enter(void) { return KEY_ENTER; }
static inline int qd_key_backspace(void) { return KEY_BACKSPACE; }
static inline int qd_key_delete(void) { return KEY_DC; }
static inline int qd_key_back_tab(void) { return KEY_BTAB; }
/* KEY_F(n): function key n (F1 is n = 1). */
static inline int qd_key_function(int n) { return KEY_F(n); }
static inline int qd_key_resize(void) { return KEY_RESIZE; }
static inline int qd_key_mouse(void) { return KEY_MOUSE; }

/* Mouse event masks (NCURSES_MOUSE_MASK arithmetic Swift cannot import). */
static inline mmask_t qd_button1_pressed(void) { return BUTTON1_PRESSED; }
static inline mmask_t qd_button1_clicked(void) { return BUTTON1_CLICKED; }
static inline mmask_t qd_button4_pressed(void) { return BUTTON4_PRESSED; }
static inline mmask_t qd_button5_pressed(void) { return BUTTON5_PRESSED; }

/* ---- Signals and restoring the terminal (shim.c) ------------------------------------------ */

/* Saves the tty modes of `fd` (the shell's: cooked, echo) for the async-signal-safe restore.
   Call before newterm, which changes nothing yet but is followed by raw() and friends. */
void qd_save_tty_modes(int fd);
/* Remembers the terminfo strings that leave the alternate screen, show the cursor, reset
   attributes and stop mouse reporting (the async-signal-safe restore writes them to `fd`, then
   puts back the modes saved by qd_save_tty_modes) and marks a curses session active. Call
   right after newterm and the mode setup succeeded. */
void qd_session_begin(int fd, int mouse_enabled);
/* Marks the session ended (after endwin); the exit and crash hooks then do nothing. */
void qd_session_end(void);
/* 1 while a session is active. */
int qd_session_is_active(void);

/* Sends standard error to an unlinked temporary file while the dashboard runs, so stray
   messages cannot garble the screen; returns 1 if it did (0 when stderr is not a terminal or no
   file could be made). qd_release_stderr, the exit hook and the crash restore replay the file
   on the real stderr. */
int qd_capture_stderr(void);
/* Points standard error back at the terminal and replays what was captured. Idempotent. */
void qd_release_stderr(void);

/* Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT that only record the signal (the
   event loop restores the terminal and exits), for SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE and
   SIGABRT that restore the terminal with async-signal-safe calls and then hand the signal to the
   previous handler (e.g. Swift's backtracer), and an atexit hook that calls endwin. */
void qd_install_signal_handlers(void);
/* Puts back the handlers qd_install_signal_handlers replaced. */
void qd_remove_signal_handlers(void);
/* The terminating signal caught since the last call (0 if none); clears it. */
int qd_take_pending_signal(void);

/* ---- The supervising parent (supervisor.c) ------------------------------------------------ */

/* The environment variable that marks the spawned dashboard (its value: the supervisor's pid). */
#define QD_SUPERVISOR_ENVIRONMENT_NAME "QUANTDASH_SUPERVISOR_PID"

/* Runs `path` with `argv` (NULL-terminated) as a child process, with
   QD_SUPERVISOR_ENVIRONMENT_NAME set, and waits for it. SIGINT, SIGTERM, SIGHUP and SIGQUIT sent
   to this process by another process are forwarded to the child. When the child is gone and
   `tty_fd`'s modes differ from those before the spawn (the child died without restoring the
   terminal, e.g. SIGKILL), writes the strings that turn mouse reporting off, reset attributes,
   show the cursor, leave keypad mode and leave the alternate screen (from terminfo for `term`)
   and restores the modes; sets *restored_terminal to 1 then. Sets *ending_signal to the signal
   that ended the child (0 if it exited). Returns the status to exit with (the child's exit
   status, or 128 + signal), or -1 when `tty_fd` is not a terminal or the spawn failed (errno
   says why; nothing was changed). */
int qd_supervise(int tty_fd, const char *term, const char *path, char *const argv[], int *ending_signal,
                 int *restored_terminal);
/* In the spawned dashboard: returns 1 when QD_SUPERVISOR_ENVIRONMENT_NAME is set (and removes
   it), after asking Linux to send SIGHUP when the supervisor dies (at once if it already has);
   0 when this process was not spawned by qd_supervise. */
int qd_supervised_child_setup(void);
/* Opens a new pseudo-terminal (posix_openpt, grantpt, unlockpt) and copies the path of its
   terminal side (e.g. "/dev/pts/3") into `path`; returns the controller's descriptor, or -1.
   For tests that need a terminal without tmux. */
int qd_open_pseudo_terminal(char *path, size_t capacity);

#endif

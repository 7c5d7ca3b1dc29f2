#ifndef QUANTDASH_NCURSES_SHIM_H
#define QUANTDASH_NCURSES_SHIM_H

#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <stdio.h>
#include <ncursesw/curses.h>

/* Wrappers for what Swift cannot import from curses.h: macros, and globals that Swift 6
   strict concurrency rejects. Every function is called from the main thread only. */

static inline int qd_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int qd_attr_bold(void) { return (int)A_BOLD; }
static inline int qd_attr_reverse(void) { return (int)A_REVERSE; }
static inline int qd_attr_underline(void) { return (int)A_UNDERLINE; }
static inline int qd_attr_dim(void) { return (int)A_DIM; }
static inline int qd_attr_normal(void) { return (int)A_NORMAL; }
static inline WINDOW *qd_stdscr(void) { return stdscr; }
static inline FILE *qd_stdout(void) { return stdout; }
static inline FILE *qd_stdin(void) { return stdin; }
static inline int qd_lines(void) { return LINES; }
static inline int qd_cols(void) { return COLS; }
static inline int qd_max_y(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)x; return y; }
static inline int qd_max_x(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)y; return x; }
static inline int qd_key_resize(void) { return KEY_RESIZE; }
static inline int qd_key_mouse(void) { return KEY_MOUSE; }
static inline int qd_err(void) { return ERR; }

#endif

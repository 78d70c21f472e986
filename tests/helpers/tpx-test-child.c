/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * tpx-test-child: the one child program of the tpx test suite.
 *
 *   tpx-test-child MODE [ARGS...]
 *
 * Each mode does one small, observable thing (see the table at the end of
 * this file). Without a mode it prints its usage, argc and argv[0] on
 * stderr, and fails. Output goes straight to the fds with write(2), never through
 * a stdio buffer, so the parent sees it as soon as it is produced.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <glib.h>

extern char **environ;

#define COPY_BUFFER_SIZE 65536

static void
write_all (int         fd,
           const void *data,
           size_t      len)
{
  const char *p = data;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          /* Nobody reads us any more: nothing useful left to do. */
          _exit (errno == EPIPE ? 0 : 2);
        }
      p += n;
      len -= (size_t) n;
    }
}

static void
write_str (int         fd,
           const char *str)
{
  write_all (fd, str, strlen (str));
}

static void G_GNUC_PRINTF (2, 3)
write_printf (int         fd,
              const char *format,
              ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  write_str (fd, text);
}

/* Reads at most @len bytes from @fd, retrying on EINTR; 0 is end of file. */
static ssize_t
read_some (int    fd,
           void  *buffer,
           size_t len)
{
  for (;;)
    {
      ssize_t n = read (fd, buffer, len);

      if (n >= 0 || errno != EINTR)
        return n;
    }
}

/* Copies @in_fd to @out_fd until end of file; returns the byte count. */
static gint64
copy_fd (int in_fd,
         int out_fd)
{
  static char buffer[COPY_BUFFER_SIZE];
  gint64 total = 0;

  for (;;)
    {
      ssize_t n = read_some (in_fd, buffer, sizeof buffer);

      if (n < 0)
        {
          write_printf (2, "tpx-test-child: read fd %d: %s\n", in_fd, g_strerror (errno));
          exit (1);
        }
      if (n == 0)
        return total;
      if (out_fd >= 0)
        write_all (out_fd, buffer, (size_t) n);
      total += n;
    }
}

static int
parse_int (const char *str)
{
  gint64 value;

  if (str == NULL || !g_ascii_string_to_signed (str, 10, G_MININT, G_MAXINT, &value, NULL))
    {
      write_printf (2, "tpx-test-child: not a number: %s\n", str ? str : "(missing)");
      exit (1);
    }

  return (int) value;
}

static void G_GNUC_NORETURN
pause_forever (void)
{
  for (;;)
    pause ();
}

static int
echo_mode (int argc, char **argv)
{
  copy_fd (0, 1);
  return 0;
}

/* Like echo, but moves the pages of the stdin pipe to the stdout pipe with
 * splice(), as some programs do (Rust's io::copy, pv): the bytes are never
 * copied, so the stdout pipe holds references to whatever pages the parent
 * spliced into stdin. */
static int
splice_echo_mode (int argc, char **argv)
{
  for (;;)
    {
      ssize_t n = splice (0, NULL, 1, NULL, 1 << 20, SPLICE_F_MOVE);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          write_printf (2, "tpx-test-child: splice: %s\n", g_strerror (errno));
          return 1;
        }
      if (n == 0)
        return 0;
    }
}

static int
echo_stderr_mode (int argc, char **argv)
{
  copy_fd (0, 2);
  return 0;
}

static int
cat_fd_mode (int argc, char **argv)
{
  int in_fd = parse_int (argv[2]);
  int out_fd = parse_int (argv[3]);

  copy_fd (in_fd, out_fd);
  return 0;
}

static int
write_out_mode (int argc, char **argv)
{
  write_str (1, argc > 2 ? argv[2] : "");
  return 0;
}

static int
write_err_mode (int argc, char **argv)
{
  write_str (2, argc > 2 ? argv[2] : "");
  return 0;
}

static int
write_both_mode (int argc, char **argv)
{
  write_str (1, "out");
  write_str (2, "err");
  return 0;
}

static int
exit_mode (int argc, char **argv)
{
  return parse_int (argv[2]);
}

static int
kill_self_mode (int argc, char **argv)
{
  int signum = parse_int (argv[2]);
  sigset_t set;

  signal (signum, SIG_DFL);
  sigemptyset (&set);
  sigaddset (&set, signum);
  sigprocmask (SIG_UNBLOCK, &set, NULL);
  raise (signum);

  /* Only reached for a signal whose default action is not to terminate. */
  return 1;
}

static int
abort_mode (int argc, char **argv)
{
  abort ();
}

static int
env_mode (int argc, char **argv)
{
  for (char **e = environ; e != NULL && *e != NULL; e++)
    write_printf (1, "%s\n", *e);
  return 0;
}

static int
cwd_mode (int argc, char **argv)
{
  g_autofree char *cwd = g_get_current_dir ();

  write_printf (1, "%s\n", cwd);
  return 0;
}

static int
argv_mode (int argc, char **argv)
{
  for (int i = 0; i < argc; i++)
    write_printf (1, "%s\n", argv[i]);
  return 0;
}

static int
compare_ints_cb (gconstpointer a,
                 gconstpointer b)
{
  int x = *(const int *) a;
  int y = *(const int *) b;

  return (x > y) - (x < y);
}

static int
fds_mode (int argc, char **argv)
{
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  GString *out;
  DIR *dir;
  struct dirent *entry;

  /* Collect first, print afterwards: the listing fd must be gone before
   * anything is written, and must not be reported. */
  dir = opendir ("/proc/self/fd");
  if (dir == NULL)
    {
      write_printf (2, "tpx-test-child: /proc/self/fd: %s\n", g_strerror (errno));
      return 1;
    }
  while ((entry = readdir (dir)) != NULL)
    {
      gint64 number;
      int fd;

      if (!g_ascii_string_to_signed (entry->d_name, 10, 0, G_MAXINT, &number, NULL))
        continue;
      fd = (int) number;
      if (fd == dirfd (dir))
        continue;
      g_array_append_val (fds, fd);
    }
  closedir (dir);

  g_array_sort (fds, compare_ints_cb);

  out = g_string_new (NULL);
  for (guint i = 0; i < fds->len; i++)
    {
      int fd = g_array_index (fds, int, i);
      int flags = fcntl (fd, F_GETFL);

      if (flags < 0)
        continue;
      g_string_append_printf (out, "%d %s\n", fd,
                              (flags & O_NONBLOCK) ? "nonblocking" : "blocking");
    }
  write_all (1, out->str, out->len);
  g_string_free (out, TRUE);

  return 0;
}

static int
signals_mode (int argc, char **argv)
{
  sigset_t mask;
  int n_blocked = 0;
  int n_ignored = 0;

  sigprocmask (SIG_BLOCK, NULL, &mask);

  for (int signum = 1; signum < NSIG; signum++)
    {
      struct sigaction action;

      if (sigismember (&mask, signum) == 1)
        n_blocked++;
      if (sigaction (signum, NULL, &action) == 0 && action.sa_handler == SIG_IGN)
        n_ignored++;
    }

  write_printf (1, "mask %d\nignored %d\n", n_blocked, n_ignored);
  return 0;
}

static int
big_mode (int argc, char **argv)
{
  static char buffer[COPY_BUFFER_SIZE];
  gint64 remaining;

  if (argc < 3 || !g_ascii_string_to_signed (argv[2], 10, 0, G_MAXINT64, &remaining, NULL))
    {
      write_str (2, "tpx-test-child: big needs a byte count\n");
      return 1;
    }

  for (size_t i = 0; i < sizeof buffer; i++)
    buffer[i] = (char) ('0' + i % 10);

  while (remaining > 0)
    {
      /* Whole periods only, so that every chunk starts again at '0'. */
      size_t chunk = (size_t) MIN (remaining, (gint64) (sizeof buffer - sizeof buffer % 10));

      write_all (1, buffer, chunk);
      remaining -= (gint64) chunk;
    }

  return 0;
}

/* COUNT lines of 49 bytes and a '\n': "line N" padded with dots, written
 * in 64 KiB blocks that cut lines anywhere. */
static int
lines_mode (int argc, char **argv)
{
  static char buffer[COPY_BUFFER_SIZE];
  int count = parse_int (argv[2]);
  size_t used = 0;

  for (int i = 0; i < count; i++)
    {
      char line[51];
      int len = g_snprintf (line, sizeof line, "line %d", i);

      memset (line + len, '.', 49 - len);
      line[49] = '\n';
      for (int j = 0; j < 50; j++)
        {
          buffer[used++] = line[j];
          if (used == sizeof buffer)
            {
              write_all (1, buffer, used);
              used = 0;
            }
        }
    }
  write_all (1, buffer, used);

  return 0;
}

static int
wait_stdin_mode (int argc, char **argv)
{
  copy_fd (0, -1);
  return 0;
}

static int
close_stdin_wait_mode (int argc, char **argv)
{
  struct pollfd pfd = { .fd = 1, .events = 0 };

  close (0);
  write_str (1, "closed\n");

  /* With no events asked for, poll() still wakes up on POLLERR/POLLHUP,
   * which is what a pipe's write end reports once its reader is gone.
   * Otherwise this waits for a signal (SIGTERM ends it). */
  for (;;)
    {
      int r = poll (&pfd, 1, -1);

      if (r > 0 && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0)
        return 0;
      if (r < 0 && errno != EINTR)
        pause_forever ();
    }
}

static int
sleep_forever_mode (int argc, char **argv)
{
  write_str (1, "ready\n");
  pause_forever ();
}

static int
ignore_term_mode (int argc, char **argv)
{
  signal (SIGTERM, SIG_IGN);
  write_str (1, "ready\n");
  pause_forever ();
}

static int
grandchild_mode (int argc, char **argv)
{
  pid_t pid = fork ();

  if (pid < 0)
    {
      write_printf (2, "tpx-test-child: fork: %s\n", g_strerror (errno));
      return 1;
    }

  if (pid == 0)
    {
      /* The grandchild: keeps stdout open until stdin reaches end of file. */
      copy_fd (0, -1);
      write_str (1, "grandchild\n");
      _exit (0);
    }

  return 0;
}

/* Which of fds 0, 1, 2 are a terminal, and whether it is our controlling
 * terminal; then a line on stderr. For mixed maps (0:p,1:p,2:r). */
static int
ttys_mode (int argc, char **argv)
{
  int tty_fd = isatty (0) ? 0 : isatty (1) ? 1 : 2;

  write_printf (1, "tty0 %d tty1 %d tty2 %d\n", isatty (0), isatty (1), isatty (2));
  write_printf (1, "leader %d ctty %d\n", getsid (0) == getpid (),
                isatty (tty_fd) && tcgetpgrp (tty_fd) == getpgrp ());
  write_str (2, "stderr apart\n");
  return 0;
}

/* Reads FD to end of file, then writes it all back to FD: a socket's
 * half-close (the parent shut its writing side down, and still reads). */
static int
echo_after_eof_mode (int argc, char **argv)
{
  int fd = parse_int (argv[2]);
  GByteArray *all = g_byte_array_new ();
  guint8 buffer[COPY_BUFFER_SIZE];
  ssize_t n;

  while ((n = read (fd, buffer, sizeof buffer)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return 2;
      g_byte_array_append (all, buffer, n);
    }
  write_all (fd, all->data, all->len);
  g_byte_array_unref (all);
  return 0;
}

/* Sleeps until a signal ends the process; never returns. */
static void G_GNUC_NORETURN
say_and_pause (const char *role)
{
  write_printf (1, "%s %d\n", role, (int) getpid ());
  pause_forever ();
}

/* A whole tree to stop: this process ("child") forks a "middle" process,
 * which forks a "leaf"; it also double-forks a "daemon" into a session of
 * its own, as daemons do, whose stdio then goes to /dev/null. Each says
 * "ROLE PID" on stdout (one write: the lines never mix) and sleeps until
 * killed; the child says "ready" once the daemon's first parent has been
 * reaped, so that after the five lines the tree is exactly these four.
 * With "ignore-term", every one of them ignores SIGTERM. */
static int
tree_mode (int argc, char **argv)
{
  pid_t pid;

  if (argc > 2 && strcmp (argv[2], "ignore-term") == 0)
    signal (SIGTERM, SIG_IGN);

  write_printf (1, "child %d\n", (int) getpid ());

  pid = fork ();
  if (pid < 0)
    {
      write_printf (2, "tpx-test-child: fork: %s\n", g_strerror (errno));
      return 1;
    }
  if (pid == 0)
    {
      pid = fork ();
      if (pid == 0)
        say_and_pause ("leaf");
      say_and_pause ("middle");
    }

  pid = fork ();
  if (pid < 0)
    {
      write_printf (2, "tpx-test-child: fork: %s\n", g_strerror (errno));
      return 1;
    }
  if (pid == 0)
    {
      /* The first fork leads a new session; the second, the daemon, can
       * never get a terminal back. */
      if (setsid () < 0 || (pid = fork ()) < 0)
        _exit (1);
      if (pid > 0)
        _exit (0);

      write_printf (1, "daemon %d\n", (int) getpid ());
      {
        int null_fd = open ("/dev/null", O_RDWR);

        if (null_fd < 0 || dup2 (null_fd, 0) < 0 || dup2 (null_fd, 1) < 0 ||
            dup2 (null_fd, 2) < 0)
          _exit (1);
        if (null_fd > 2)
          close (null_fd);
      }
      pause_forever ();
    }

  /* The daemon's first parent exits at once. */
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  write_str (1, "ready\n");
  pause_forever ();
}

static int
count_stdin_mode (int argc, char **argv)
{
  gint64 total = copy_fd (0, -1);

  write_printf (1, "%" G_GINT64_FORMAT "\n", total);
  return 0;
}

static void
print_window_size (void)
{
  struct winsize size = { 0 };

  if (ioctl (0, TIOCGWINSZ, &size) < 0)
    write_str (1, "size -1 -1\n");
  else
    write_printf (1, "size %u %u\n", (unsigned) size.ws_row, (unsigned) size.ws_col);
}

static int
pty_info_mode (int argc, char **argv)
{
  sigset_t winch;
  int received = 0;

  /* Block SIGWINCH before reporting anything, so that a resize the parent
   * makes in reaction to our output cannot be missed. */
  sigemptyset (&winch);
  sigaddset (&winch, SIGWINCH);
  sigprocmask (SIG_BLOCK, &winch, NULL);

  write_printf (1, "tty0 %d tty1 %d tty2 %d\n", isatty (0), isatty (1), isatty (2));
  write_printf (1, "leader %d\n", getsid (0) == getpid ());
  write_printf (1, "ctty %d\n", tcgetpgrp (0) == getpgrp ());
  print_window_size ();

  while (sigwait (&winch, &received) != 0 || received != SIGWINCH)
    ;
  print_window_size ();

  return 0;
}

static int
id_mode (int argc, char **argv)
{
  write_printf (1, "uid %u gid %u groups %d\n",
                (unsigned) getuid (), (unsigned) getgid (), getgroups (0, NULL));
  return 0;
}

static int
pgrp_mode (int argc, char **argv)
{
  write_printf (1, "pid %d pgid %d sid %d\n",
                (int) getpid (), (int) getpgrp (), (int) getsid (0));
  return 0;
}

typedef struct {
  const char *name;
  int         n_args;
  int       (*func) (int argc, char **argv);
} Mode;

static const Mode modes[] = {
  { "echo",             0, echo_mode },
  { "echo-stderr",      0, echo_stderr_mode },
  { "splice-echo",      0, splice_echo_mode },
  { "cat-fd",           2, cat_fd_mode },
  { "write-out",        1, write_out_mode },
  { "write-err",        1, write_err_mode },
  { "write-both",       0, write_both_mode },
  { "exit",             1, exit_mode },
  { "kill-self",        1, kill_self_mode },
  { "abort",            0, abort_mode },
  { "env",              0, env_mode },
  { "cwd",              0, cwd_mode },
  { "argv",             0, argv_mode },
  { "fds",              0, fds_mode },
  { "signals",          0, signals_mode },
  { "big",              1, big_mode },
  { "lines",            1, lines_mode },
  { "wait-stdin",       0, wait_stdin_mode },
  { "close-stdin-wait", 0, close_stdin_wait_mode },
  { "sleep-forever",    0, sleep_forever_mode },
  { "ignore-term",      0, ignore_term_mode },
  { "grandchild",       0, grandchild_mode },
  { "tree",             0, tree_mode },
  { "count-stdin",      0, count_stdin_mode },
  { "ttys",             0, ttys_mode },
  { "echo-after-eof",   1, echo_after_eof_mode },
  { "pty-info",         0, pty_info_mode },
  { "id",               0, id_mode },
  { "pgrp",             0, pgrp_mode },
};

int
main (int    argc,
      char **argv)
{
  if (argc < 2)
    {
      /* Also say how we were called: execve() allows argc 0. */
      write_printf (2, "usage: tpx-test-child MODE [ARGS...] (argc %d, argv[0] %s)\n",
                    argc, argc > 0 ? argv[0] : "(none)");
      return 1;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      if (strcmp (argv[1], modes[i].name) != 0)
        continue;
      if (argc < 2 + modes[i].n_args)
        {
          write_printf (2, "tpx-test-child: %s needs %d argument(s)\n",
                        modes[i].name, modes[i].n_args);
          return 1;
        }
      return modes[i].func (argc, argv);
    }

  write_printf (2, "tpx-test-child: unknown mode %s\n", argv[1]);
  return 1;
}

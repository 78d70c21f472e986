/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * What real applications do to a transport (DESIGN §4a): spawn from worker
 * threads into a context another thread runs, iterate the context inside
 * handlers, dispose a running transport, make one without a child; and
 * what hostile surroundings do: a tracer holding the child, SIGPIPE set
 * back to its default, fds running out while paused.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tpx/tpx.h>

#if defined (__has_include)
# if __has_include (<valgrind/valgrind.h>)
#  include <valgrind/valgrind.h>
# endif
#endif
#ifndef RUNNING_ON_VALGRIND
# define RUNNING_ON_VALGRIND 0
#endif

#include "tpx-test-common.h"

#define TIMEOUT_MS 60000

/* ---- A protocol that checks the order of what it hears ---- */

typedef struct
{
  TpxProcessProtocol  parent_instance;
  GString            *out;
  GThread            *thread;        /* where every call must come; NULL: any */
  guint               n_exited;
  guint               n_ended;
  guint               n_lost;
  guint               n_after_end;   /* anything after process_ended */
  gboolean            exited_before_ended;
  gboolean            wrong_thread;
  gint               *ended_counter; /* atomic, nullable */
} CheckProto;

typedef TpxProcessProtocolClass CheckProtoClass;

G_DEFINE_TYPE (CheckProto, check_proto, TPX_TYPE_PROCESS_PROTOCOL)

static void
check_call (CheckProto *self)
{
  if (self->thread != NULL && g_thread_self () != self->thread)
    self->wrong_thread = TRUE;
  if (self->n_ended > 0)
    self->n_after_end++;
}

static void
check_proto_out_received (TpxProcessProtocol *protocol,
                          GBytes             *data)
{
  CheckProto *self = (CheckProto *) protocol;
  gsize len;
  const char *text = g_bytes_get_data (data, &len);

  check_call (self);
  g_string_append_len (self->out, text, len);
}

static void
check_proto_child_connection_lost (TpxProcessProtocol *protocol,
                                   int                 child_fd)
{
  CheckProto *self = (CheckProto *) protocol;

  check_call (self);
  self->n_lost++;
}

static void
check_proto_process_exited (TpxProcessProtocol *protocol,
                            TpxProcessStatus   *status)
{
  CheckProto *self = (CheckProto *) protocol;

  check_call (self);
  self->n_exited++;
}

static void
check_proto_process_ended (TpxProcessProtocol *protocol,
                           TpxProcessStatus   *status)
{
  CheckProto *self = (CheckProto *) protocol;

  check_call (self);
  self->exited_before_ended = self->n_exited == 1;
  self->n_ended++;
  if (self->ended_counter != NULL)
    g_atomic_int_inc (self->ended_counter);
}

static void
check_proto_finalize (GObject *object)
{
  CheckProto *self = (CheckProto *) object;

  g_string_free (self->out, TRUE);
  G_OBJECT_CLASS (check_proto_parent_class)->finalize (object);
}

static void
check_proto_class_init (CheckProtoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = check_proto_finalize;
  klass->out_received = check_proto_out_received;
  klass->child_connection_lost = check_proto_child_connection_lost;
  klass->process_exited = check_proto_process_exited;
  klass->process_ended = check_proto_process_ended;
}

static void
check_proto_init (CheckProto *self)
{
  self->out = g_string_new (NULL);
}

static void
assert_proto_ended_well (CheckProto *proto,
                         const char *expected_out)
{
  g_assert_cmpuint (proto->n_exited, ==, 1);
  g_assert_cmpuint (proto->n_ended, ==, 1);
  g_assert_true (proto->exited_before_ended);
  g_assert_cmpuint (proto->n_after_end, ==, 0);
  g_assert_false (proto->wrong_thread);
  if (expected_out != NULL)
    g_assert_cmpstr (proto->out->str, ==, expected_out);
}

static guint
scale_from_env (const char *name,
                guint       fallback)
{
  const char *value = g_getenv (name);

  return value != NULL ? (guint) g_ascii_strtoull (value, NULL, 10) : fallback;
}

/* ---- Threads ---- */

typedef struct
{
  guint      index;
  guint      n_spawns;
  GThread   *main_thread;
  GPtrArray *protos;        /* CheckProto */
  gint      *ended;
} Worker;

/* A GTask worker, say: no thread-default context of its own, so its
 * children belong to the global default context, which the main thread
 * runs all along. */
static gpointer
worker_func (gpointer user_data)
{
  Worker *worker = user_data;
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

  g_assert_null (g_main_context_get_thread_default ());

  for (guint i = 0; i < worker->n_spawns; i++)
    {
      g_autofree char *text = g_strdup_printf ("worker %u child %u", worker->index, i);
      const char *argv[] = { "tpx-test-child", "write-out", text, NULL };
      g_autoptr(GError) error = NULL;
      CheckProto *proto = g_object_new (check_proto_get_type (), NULL);
      TpxProcessTransport *transport;

      proto->thread = worker->main_thread;
      proto->ended_counter = worker->ended;
      g_ptr_array_add (worker->protos, proto);

      transport = tpx_process_launcher_spawn (launcher, TPX_PROCESS_PROTOCOL (proto),
                                              tpx_test_helper_path (), argv, &error);
      g_assert_no_error (error);
      g_assert_nonnull (transport);
      g_object_unref (transport);
    }

  return NULL;
}

static gboolean
timeout_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_workers_once (guint n_workers,
                  guint n_spawns)
{
  g_autofree Worker *workers = g_new0 (Worker, n_workers);
  g_autofree GThread **threads = g_new0 (GThread *, n_workers);
  guint fds_before = tpx_test_count_fds ();
  gint ended = 0;
  gboolean timed_out = FALSE;
  guint timeout_id;

  for (guint i = 0; i < n_workers; i++)
    {
      workers[i].index = i;
      workers[i].n_spawns = n_spawns;
      workers[i].main_thread = g_thread_self ();
      workers[i].protos = g_ptr_array_new_with_free_func (g_object_unref);
      workers[i].ended = &ended;
      threads[i] = g_thread_new ("tpx-worker", worker_func, &workers[i]);
    }

  /* The main thread runs the default context the whole time. */
  timeout_id = g_timeout_add (TIMEOUT_MS * 4, timeout_flag_cb, &timed_out);
  while ((guint) g_atomic_int_get (&ended) < n_workers * n_spawns && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timeout_id);

  for (guint i = 0; i < n_workers; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (workers[i].protos->len, ==, n_spawns);
      for (guint j = 0; j < n_spawns; j++)
        {
          g_autofree char *text = g_strdup_printf ("worker %u child %u", i, j);

          assert_proto_ended_well (g_ptr_array_index (workers[i].protos, j), text);
        }
      g_ptr_array_unref (workers[i].protos);
    }

  /* Nothing left: no source of ours pending, no fd, no child. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
  tpx_test_assert_no_children ();
}

static void
test_threads_workers_into_default (void)
{
  guint n_spawns = scale_from_env ("TPX_TEST_WORKER_SPAWNS", 300);
  guint repeat = MAX (1, scale_from_env ("TPX_TEST_REPEAT", 1));

  for (guint i = 0; i < repeat; i++)
    run_workers_once (3, n_spawns);
}

/* signal_process() from another thread than the context's. */
static gpointer
signal_thread_func (gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (tpx_process_transport_signal_process (user_data, "TERM", &error));
  g_assert_no_error (error);
  return NULL;
}

static void
test_threads_signal_from_other_thread (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("sleep-forever", NULL);
  g_autoptr(TpxProcessTransport) transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);

  g_thread_join (g_thread_new ("tpx-signaller", signal_thread_func, transport));
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_killed (rec->end_status, SIGTERM);
}

/* ---- Nested iterations inside handlers ---- */

typedef struct
{
  TpxProcessTransport *transport;
  GString             *out;
  GPtrArray           *events;
  guint                depth;          /* inside a handler of ours */
  guint                nested_events;  /* ours, delivered while depth > 0 */
  guint                nest_in;        /* which handler nests: see Nest */
  gboolean             nested;         /* has nested once */
  gboolean             other_ended;    /* the other transport, inside */
  gboolean             ended;
} Nesting;

typedef enum
{
  NEST_IN_DATA,
  NEST_IN_LOST,
  NEST_IN_EXITED,
  NEST_IN_OUT_RECEIVED,   /* the protocol's vfunc */
} Nest;

static void
other_ended_cb (TpxProcessTransport *transport,
                TpxProcessStatus    *status,
                gpointer             user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Runs a nested loop until another transport, started now, has ended:
 * the rest of the context flows meanwhile. */
static void
nest (Nesting *n)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("write-out", "other", NULL);
  g_autoptr(TpxProcessTransport) other = tpx_test_spawn_helper (launcher, (const char * const *) argv);

  n->nested = TRUE;
  g_signal_connect (other, "process-ended", G_CALLBACK (other_ended_cb), &n->other_ended);
  tpx_test_run_until (&n->other_ended, TIMEOUT_MS);
}

static void
nesting_event (Nesting    *n,
               const char *name)
{
  if (n->depth > 0)
    n->nested_events++;
  g_ptr_array_add (n->events, g_strdup (name));
}

static void
nesting_data_cb (TpxProcessTransport *transport,
                 int                  child_fd,
                 GBytes              *data,
                 gpointer             user_data)
{
  Nesting *n = user_data;
  gsize len;
  const char *text = g_bytes_get_data (data, &len);

  nesting_event (n, child_fd == 1 ? "data:1" : "data:2");
  if (child_fd == 1)
    g_string_append_len (n->out, text, len);

  if (n->nest_in == NEST_IN_DATA && !n->nested)
    {
      n->depth++;
      nest (n);
      n->depth--;
    }
}

static void
nesting_lost_cb (TpxProcessTransport *transport,
                 int                  child_fd,
                 gpointer             user_data)
{
  Nesting *n = user_data;

  nesting_event (n, "lost");
  if (n->nest_in == NEST_IN_LOST && !n->nested)
    {
      n->depth++;
      nest (n);
      n->depth--;
    }
}

static void
nesting_exited_cb (TpxProcessTransport *transport,
                   TpxProcessStatus    *status,
                   gpointer             user_data)
{
  Nesting *n = user_data;

  nesting_event (n, "exited");
  if (n->nest_in == NEST_IN_EXITED && !n->nested)
    {
      n->depth++;
      nest (n);
      n->depth--;
    }
}

static void
nesting_ended_cb (TpxProcessTransport *transport,
                  TpxProcessStatus    *status,
                  gpointer             user_data)
{
  Nesting *n = user_data;

  nesting_event (n, "ended");
  n->ended = TRUE;
}

/* The protocol's vfunc nests, after the signal's handlers ran. */
typedef struct
{
  TpxProcessProtocol  parent_instance;
  Nesting            *n;
} NestProto;

typedef TpxProcessProtocolClass NestProtoClass;

G_DEFINE_TYPE (NestProto, nest_proto, TPX_TYPE_PROCESS_PROTOCOL)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NestProto, g_object_unref)

static void
nest_proto_out_received (TpxProcessProtocol *protocol,
                         GBytes             *data)
{
  Nesting *n = ((NestProto *) protocol)->n;

  if (!n->nested)
    {
      n->depth++;
      nest (n);
      n->depth--;
    }
}

static void
nest_proto_class_init (NestProtoClass *klass)
{
  klass->out_received = nest_proto_out_received;
}

static void
nest_proto_init (NestProto *self)
{
}

static void
test_reentrancy (gconstpointer data)
{
  Nest where = GPOINTER_TO_UINT (data);
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  /* Enough output for several reads, the last ones after the nesting. */
  const char *argv[] = { "tpx-test-child", "big", "1000000", NULL };
  g_autoptr(NestProto) proto = g_object_new (nest_proto_get_type (), NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *trace = NULL;
  Nesting n = { 0 };
  guint n_data = 0;

  n.out = g_string_new (NULL);
  n.events = g_ptr_array_new_with_free_func (g_free);
  n.nest_in = where;
  proto->n = &n;

  n.transport = tpx_process_launcher_spawn (launcher,
                                            where == NEST_IN_OUT_RECEIVED ? TPX_PROCESS_PROTOCOL (proto) : NULL,
                                            tpx_test_helper_path (), argv, &error);
  g_assert_no_error (error);
  g_signal_connect (n.transport, "child-data", G_CALLBACK (nesting_data_cb), &n);
  g_signal_connect (n.transport, "child-connection-lost", G_CALLBACK (nesting_lost_cb), &n);
  g_signal_connect (n.transport, "process-exited", G_CALLBACK (nesting_exited_cb), &n);
  g_signal_connect (n.transport, "process-ended", G_CALLBACK (nesting_ended_cb), &n);

  tpx_test_run_until (&n.ended, TIMEOUT_MS);

  /* It nested, the other transport ended inside, and nothing of ours was
   * delivered inside our own handler. */
  g_assert_true (n.nested);
  g_assert_true (n.other_ended);
  g_assert_cmpuint (n.nested_events, ==, 0);

  /* Data whole and in order; exited before ended; ended last, once. */
  g_assert_cmpuint (n.out->len, ==, 1000000);
  for (gsize i = 0; i < n.out->len; i++)
    if (n.out->str[i] != (char) ('0' + i % 10))
      g_assert_cmpuint (i, ==, G_MAXSIZE);
  for (guint i = 0; i < n.events->len; i++)
    n_data += g_str_has_prefix (g_ptr_array_index (n.events, i), "data:");
  g_assert_cmpuint (n_data, >=, 1);
  g_assert_cmpstr (g_ptr_array_index (n.events, n.events->len - 1), ==, "ended");
  for (guint i = 0; i + 1 < n.events->len; i++)
    g_assert_cmpstr (g_ptr_array_index (n.events, i), !=, "ended");
  {
    gboolean seen_exited = FALSE;

    for (guint i = 0; i < n.events->len; i++)
      if (g_str_equal (g_ptr_array_index (n.events, i), "exited"))
        {
          g_assert_false (seen_exited);
          seen_exited = TRUE;
        }
    g_assert_true (seen_exited);
  }

  g_object_unref (n.transport);
  g_string_free (n.out, TRUE);
  g_ptr_array_unref (n.events);
}

/* ---- Objects and lifetimes ---- */

static void
count_cb (gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
finalized_cb (gpointer  data,
              GObject  *where_the_object_was)
{
  *(gboolean *) data = TRUE;
}

/* g_object_run_dispose() on a running transport: the child is still
 * reaped, its fds closed, and the transport then goes. */
static void
test_dispose_running (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("wait-stdin", NULL);
  guint fds_before = tpx_test_count_fds ();
  TpxProcessTransport *transport;
  gboolean finalized = FALSE;
  guint n_ended = 0;

  transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  g_signal_connect_swapped (transport, "process-ended", G_CALLBACK (count_cb), &n_ended);

  g_object_run_dispose (G_OBJECT (transport));
  /* After it: run_dispose() itself notifies weak references. */
  g_object_weak_ref (G_OBJECT (transport), finalized_cb, &finalized);
  /* Handlers are gone with dispose; the transport still works. */
  tpx_process_transport_close_stdin (transport);
  g_object_unref (transport);

  tpx_test_run_until (&finalized, TIMEOUT_MS);
  g_assert_cmpuint (n_ended, ==, 0);
  g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
  tpx_test_assert_no_children ();
}

/* A transport made with g_object_new() has no child: no call signals
 * anything (pid 0 would hit our own process group), none crashes. */
static void
test_no_child (void)
{
  static const char * const names[] = {
    "child-data", "child-connection-lost", "write-drained", "process-exited", "process-ended",
  };
  g_autoptr(TpxProcessTransport) transport = g_object_new (TPX_TYPE_PROCESS_TRANSPORT, NULL);
  g_autoptr(GError) error = NULL;
  guint n_signals = 0;
  struct sigaction sa = { .sa_handler = SIG_IGN }, old_sa;
  const guint8 data[] = "x";

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_signal_connect_swapped (transport, names[i], G_CALLBACK (count_cb), &n_signals);

  g_assert_cmpint (tpx_process_transport_get_pid (transport), ==, 0);
  g_assert_null (tpx_process_transport_get_status (transport));
  g_assert_null (tpx_process_transport_get_protocol (transport));

  /* Were USR1 sent to pid 0, our ignoring it would hide it; so it is
   * made fatal-looking instead: the default disposition ends us. */
  sigaction (SIGUSR1, NULL, &old_sa);
  sa.sa_handler = SIG_DFL;
  sigaction (SIGUSR1, &sa, NULL);

  g_assert_false (tpx_process_transport_signal_process (transport, "USR1", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_assert_false (tpx_process_transport_send_signal (transport, SIGUSR1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_assert_false (tpx_process_transport_signal_process_group (transport, "USR1", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  sigaction (SIGUSR1, &old_sa, NULL);

  g_assert_false (tpx_process_transport_write_to_child (transport, 0, data, 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);
  g_assert_false (tpx_process_transport_set_window_size (transport, 24, 80, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);

  tpx_process_transport_write (transport, data, 1);
  g_assert_cmpuint (tpx_process_transport_get_write_buffer_size (transport, 0), ==, 0);
  tpx_process_transport_close_stdin (transport);
  tpx_process_transport_close_stdout (transport);
  tpx_process_transport_close_stderr (transport);
  tpx_process_transport_close_child_fd (transport, 3);
  tpx_process_transport_lose_connection (transport);
  tpx_process_transport_pause_producing (transport);
  tpx_process_transport_resume_producing (transport);

  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (n_signals, ==, 0);
}

/* ---- Hostile surroundings ---- */

/* Counts how often the context wakes up during @ms of wall-clock time. */
static guint
count_wakeups_for (guint ms)
{
  gboolean done = FALSE;
  guint n = 0;

  g_timeout_add (ms, timeout_flag_cb, &done);
  while (!done)
    {
      g_main_context_iteration (NULL, TRUE);
      n++;
    }
  return n;
}

/* A tracer holds the child's zombie: the pidfd is readable but there is
 * nothing to reap yet. The loop must not spin meanwhile, and the exit is
 * reported once the tracer lets go. */
static void
test_hostile_traced_child (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("wait-stdin", NULL);
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autofree char *asan_options = NULL;
  int ready[2], release[2];
  pid_t child;
  pid_t tracer;
  char byte;
  guint wakeups;
  int status;

  /* valgrind runs the forked tracer on its own emulated CPU, whose
   * ptrace() does not reach a process valgrind does not run. */
  if (RUNNING_ON_VALGRIND)
    {
      g_test_skip ("ptrace from a process under valgrind does not work; the plain and ASan runs cover it");
      return;
    }

  /* An ASan child runs LeakSanitizer at exit, which stops with exit
   * status 1 when it finds itself traced. */
  asan_options = g_strconcat (g_getenv ("ASAN_OPTIONS") ? g_getenv ("ASAN_OPTIONS") : "",
                              ":detect_leaks=0", NULL);
  tpx_process_launcher_setenv (launcher, "ASAN_OPTIONS", asan_options, TRUE);
  transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  rec = tpx_test_recorder_new (transport);
  child = tpx_process_transport_get_pid (transport);

  g_assert_no_errno (pipe2 (ready, O_CLOEXEC));
  g_assert_no_errno (pipe2 (release, O_CLOEXEC));

  tracer = fork ();
  g_assert_cmpint (tracer, >=, 0);
  if (tracer == 0)
    {
      char c = 0;

      close (ready[0]);
      close (release[1]);
      if (ptrace (PTRACE_SEIZE, child, NULL, NULL) != 0)
        _exit (1);
      if (write (ready[1], &c, 1) != 1)
        _exit (2);
      /* Holds the tracee, never waits for it, until told to go. */
      if (read (release[0], &c, 1) < 0)
        _exit (3);
      _exit (0);
    }

  close (ready[1]);
  close (release[0]);
  g_assert_cmpint (read (ready[0], &byte, 1), ==, 1);
  close (ready[0]);

  /* The child exits; its zombie is the tracer's to see first. */
  tpx_process_transport_close_stdin (transport);
  g_assert_cmpint (waitid (P_PID, child, &(siginfo_t) { 0 }, WEXITED | WNOWAIT | WNOHANG), ==, 0);

  wakeups = count_wakeups_for (300);
  g_test_message ("%u wake-ups in 300 ms with the zombie held", wakeups);
  /* Spinning is hundreds of thousands; resting with back-off is a few dozen. */
  g_assert_cmpuint (wakeups, <, 200);
  g_assert_false (rec->exited);

  g_assert_cmpint (write (release[1], "x", 1), ==, 1);
  close (release[1]);
  g_assert_cmpint (waitpid (tracer, &status, 0), ==, tracer);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "");
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpuint (rec->n_ended, ==, 1);
}

/* The application sets SIGPIPE back to SIG_DFL after tpx ignored it (the
 * usual Python CLI idiom); a write to a child that closed its stdin must
 * still not kill it, and no SIGPIPE may be left pending. */
static void
test_hostile_sigpipe_default (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("close-stdin-wait", NULL);
  g_autoptr(TpxProcessTransport) transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autofree guint8 *chunk = g_malloc0 (65536);
  struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
  sigset_t pending;
  gboolean stdin_lost = FALSE;

  sigaction (SIGPIPE, &dfl, &old);

  /* Wait until the child closed its stdin ("closed\n" on stdout). */
  while (strstr (tpx_test_recorder_text (rec, 1), "closed") == NULL)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < 64 && !stdin_lost; i++)
    {
      tpx_process_transport_write (transport, chunk, 65536);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      for (guint j = 0; j < rec->events->len; j++)
        stdin_lost |= g_str_equal (g_ptr_array_index (rec->events, j), "lost:0");
    }
  g_assert_true (stdin_lost);

  sigpending (&pending);
  g_assert_false (sigismember (&pending, SIGPIPE));
  sigaction (SIGPIPE, &old, NULL);

  g_assert_true (tpx_process_transport_signal_process (transport, "TERM", NULL));
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
}

/* Paused with more than a few pipes, then no fd is left: resuming must
 * need none, and no data is lost. */
static void
test_hostile_resume_without_fds (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("write-out", "all of it", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GArray) dups = g_array_new (FALSE, FALSE, sizeof (int));
  struct rlimit old_limit, limit;
  int fd;

  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher,
                 "0:w,1:r,2:r,3:r,4:r,5:r,6:r,7:r,8:r", &error));
  g_assert_no_error (error);
  transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  rec = tpx_test_recorder_new (transport);
  tpx_process_transport_pause_producing (transport);

  /* Let the child write and exit while nothing is read. */
  while (!rec->exited)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "");

  g_assert_no_errno (getrlimit (RLIMIT_NOFILE, &old_limit));
  limit = old_limit;
  limit.rlim_cur = MIN (old_limit.rlim_cur, 512);
  g_assert_no_errno (setrlimit (RLIMIT_NOFILE, &limit));
  while ((fd = dup (0)) >= 0)
    g_array_append_val (dups, fd);
  g_assert_cmpint (errno, ==, EMFILE);

  tpx_process_transport_resume_producing (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  for (guint i = 0; i < dups->len; i++)
    close (g_array_index (dups, int, i));
  g_assert_no_errno (setrlimit (RLIMIT_NOFILE, &old_limit));

  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "all of it");
  tpx_test_assert_exited (rec->end_status, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* Its wake-up fd, made once and for good, is no leak. */
  g_main_context_default ();

  g_test_add_func ("/tpx/lifecycle/threads/workers-into-default", test_threads_workers_into_default);
  g_test_add_func ("/tpx/lifecycle/threads/signal-from-other-thread", test_threads_signal_from_other_thread);
  g_test_add_data_func ("/tpx/lifecycle/reentrancy/child-data", GUINT_TO_POINTER (NEST_IN_DATA), test_reentrancy);
  g_test_add_data_func ("/tpx/lifecycle/reentrancy/child-connection-lost", GUINT_TO_POINTER (NEST_IN_LOST), test_reentrancy);
  g_test_add_data_func ("/tpx/lifecycle/reentrancy/process-exited", GUINT_TO_POINTER (NEST_IN_EXITED), test_reentrancy);
  g_test_add_data_func ("/tpx/lifecycle/reentrancy/out-received-vfunc", GUINT_TO_POINTER (NEST_IN_OUT_RECEIVED), test_reentrancy);
  g_test_add_func ("/tpx/lifecycle/dispose/running", test_dispose_running);
  g_test_add_func ("/tpx/lifecycle/no-child", test_no_child);
  g_test_add_func ("/tpx/lifecycle/hostile/traced-child", test_hostile_traced_child);
  g_test_add_func ("/tpx/lifecycle/hostile/sigpipe-default", test_hostile_sigpipe_default);
  g_test_add_func ("/tpx/lifecycle/hostile/resume-without-fds", test_hostile_resume_without_fds);

  return g_test_run ();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * TpxProcessProtocol: the virtual methods, their default dispatch, when they
 * run relative to the transport's signals, and the protocol's lifetime
 * (DESIGN.md §5).
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tpx-test-common.h"

#define TIMEOUT_MS 10000

/* ------------------------------------------------------------------ */
/* A protocol that writes down every call */

#define TEST_TYPE_PROTOCOL (test_protocol_get_type ())
G_DECLARE_FINAL_TYPE (TestProtocol, test_protocol, TEST, PROTOCOL, TpxProcessProtocol)

struct _TestProtocol
{
  TpxProcessProtocol   parent_instance;

  GPtrArray           *calls;          /* char *, may be shared with handlers */
  GByteArray          *out;
  GByteArray          *err;
  GByteArray          *fd_data[8];
  TpxProcessTransport *made_with;      /* not a reference */
  gboolean             transport_ok_in_made;
  int                  pid_in_made;
  TpxProcessStatus    *exit_status;
  TpxProcessStatus    *end_status;
  gboolean             chain_up;       /* call the default dispatch */
  gboolean             ended;
};

G_DEFINE_FINAL_TYPE (TestProtocol, test_protocol, TPX_TYPE_PROCESS_PROTOCOL)

static void
add_call (TestProtocol *self,
          const char   *format,
          ...) G_GNUC_PRINTF (2, 3);

static void
add_call (TestProtocol *self,
          const char   *format,
          ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (self->calls, g_strdup_vprintf (format, args));
  va_end (args);
}

static void
test_protocol_connection_made (TpxProcessProtocol  *protocol,
                               TpxProcessTransport *transport)
{
  TestProtocol *self = TEST_PROTOCOL (protocol);
  TpxProcessTransport *from_property = NULL;

  add_call (self, "connection_made");
  self->made_with = transport;
  self->pid_in_made = tpx_process_transport_get_pid (transport);

  g_object_get (protocol, "transport", &from_property, NULL);
  self->transport_ok_in_made =
    tpx_process_protocol_get_transport (protocol) == transport &&
    from_property == transport &&
    tpx_process_transport_get_protocol (transport) == protocol;
  g_clear_object (&from_property);
}

static void
test_protocol_child_data_received (TpxProcessProtocol *protocol,
                                   int                 child_fd,
                                   GBytes             *data)
{
  TestProtocol *self = TEST_PROTOCOL (protocol);
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  add_call (self, "child_data_received:%d", child_fd);
  if (child_fd >= 0 && child_fd < (int) G_N_ELEMENTS (self->fd_data))
    g_byte_array_append (self->fd_data[child_fd], bytes, len);

  if (self->chain_up)
    TPX_PROCESS_PROTOCOL_CLASS (test_protocol_parent_class)->child_data_received (protocol, child_fd, data);
}

static void
test_protocol_child_connection_lost (TpxProcessProtocol *protocol,
                                     int                 child_fd)
{
  TestProtocol *self = TEST_PROTOCOL (protocol);

  add_call (self, "child_connection_lost:%d", child_fd);

  if (self->chain_up)
    TPX_PROCESS_PROTOCOL_CLASS (test_protocol_parent_class)->child_connection_lost (protocol, child_fd);
}

static void
test_protocol_out_received (TpxProcessProtocol *protocol,
                            GBytes             *data)
{
  TestProtocol *self = TEST_PROTOCOL (protocol);
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  add_call (self, "out_received");
  g_byte_array_append (self->out, bytes, len);
}

static void
test_protocol_err_received (TpxProcessProtocol *protocol,
                            GBytes             *data)
{
  TestProtocol *self = TEST_PROTOCOL (protocol);
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  add_call (self, "err_received");
  g_byte_array_append (self->err, bytes, len);
}

static void
test_protocol_in_connection_lost (TpxProcessProtocol *protocol)
{
  add_call (TEST_PROTOCOL (protocol), "in_connection_lost");
}

static void
test_protocol_out_connection_lost (TpxProcessProtocol *protocol)
{
  add_call (TEST_PROTOCOL (protocol), "out_connection_lost");
}

static void
test_protocol_err_connection_lost (TpxProcessProtocol *protocol)
{
  add_call (TEST_PROTOCOL (protocol), "err_connection_lost");
}

static void
test_protocol_process_exited (TpxProcessProtocol *protocol,
                              TpxProcessStatus   *status)
{
  TestProtocol *self = TEST_PROTOCOL (protocol);

  add_call (self, "process_exited");
  g_set_object (&self->exit_status, status);
}

static void
test_protocol_process_ended (TpxProcessProtocol *protocol,
                             TpxProcessStatus   *status)
{
  TestProtocol *self = TEST_PROTOCOL (protocol);

  add_call (self, "process_ended");
  g_set_object (&self->end_status, status);
  self->ended = TRUE;
}

static void
test_protocol_finalize (GObject *object)
{
  TestProtocol *self = TEST_PROTOCOL (object);

  g_clear_pointer (&self->calls, g_ptr_array_unref);
  g_clear_pointer (&self->out, g_byte_array_unref);
  g_clear_pointer (&self->err, g_byte_array_unref);
  for (gsize i = 0; i < G_N_ELEMENTS (self->fd_data); i++)
    g_clear_pointer (&self->fd_data[i], g_byte_array_unref);
  g_clear_object (&self->exit_status);
  g_clear_object (&self->end_status);

  G_OBJECT_CLASS (test_protocol_parent_class)->finalize (object);
}

static void
test_protocol_class_init (TestProtocolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  TpxProcessProtocolClass *protocol_class = TPX_PROCESS_PROTOCOL_CLASS (klass);

  object_class->finalize = test_protocol_finalize;

  protocol_class->connection_made = test_protocol_connection_made;
  protocol_class->child_data_received = test_protocol_child_data_received;
  protocol_class->child_connection_lost = test_protocol_child_connection_lost;
  protocol_class->out_received = test_protocol_out_received;
  protocol_class->err_received = test_protocol_err_received;
  protocol_class->in_connection_lost = test_protocol_in_connection_lost;
  protocol_class->out_connection_lost = test_protocol_out_connection_lost;
  protocol_class->err_connection_lost = test_protocol_err_connection_lost;
  protocol_class->process_exited = test_protocol_process_exited;
  protocol_class->process_ended = test_protocol_process_ended;
}

static void
test_protocol_init (TestProtocol *self)
{
  self->calls = g_ptr_array_new_with_free_func (g_free);
  self->out = g_byte_array_new ();
  self->err = g_byte_array_new ();
  for (gsize i = 0; i < G_N_ELEMENTS (self->fd_data); i++)
    self->fd_data[i] = g_byte_array_new ();
  self->chain_up = TRUE;
}

static TestProtocol *
test_protocol_new (void)
{
  return g_object_new (TEST_TYPE_PROTOCOL, NULL);
}

/* ------------------------------------------------------------------ */
/* Helpers */

static TpxProcessTransport *
spawn_with (TpxProcessLauncher *launcher,
            TpxProcessProtocol *protocol,
            const char         *mode,
            const char         *arg1,
            const char         *arg2)
{
  g_autoptr(TpxProcessLauncher) own_launcher = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv (mode, arg1, arg2, NULL);
  g_autoptr(GError) error = NULL;
  TpxProcessTransport *transport;

  if (launcher == NULL)
    launcher = own_launcher = tpx_process_launcher_new ();

  transport = tpx_process_launcher_spawn (launcher, protocol, argv[0],
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  g_assert_true (TPX_IS_PROCESS_TRANSPORT (transport));

  return transport;
}

static char *
join_calls (GPtrArray *calls)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < calls->len; i++)
    {
      if (i > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, g_ptr_array_index (calls, i));
    }

  return g_string_free (s, FALSE);
}

static void
log_calls (GPtrArray *calls)
{
  g_autofree char *text = join_calls (calls);

  g_test_message ("calls: %s", text);
}

static guint
count_calls (GPtrArray  *calls,
             const char *name)
{
  guint n = 0;

  for (guint i = 0; i < calls->len; i++)
    if (g_str_equal (g_ptr_array_index (calls, i), name))
      n++;

  return n;
}

static const char *
call_at (GPtrArray *calls,
         guint      i)
{
  return i < calls->len ? g_ptr_array_index (calls, i) : NULL;
}

static gboolean
is_named_method (const char *call)
{
  static const char * const named[] = {
    "out_received", "err_received",
    "in_connection_lost", "out_connection_lost", "err_connection_lost",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (named); i++)
    if (g_strcmp0 (call, named[i]) == 0)
      return TRUE;

  return FALSE;
}

/* Every @first is immediately followed by @then; with @then %NULL, by
 * none of the stdin/stdout/stderr methods. Returns the number of @first. */
static guint
assert_always_followed_by (GPtrArray  *calls,
                           const char *first,
                           const char *then)
{
  guint n = 0;

  for (guint i = 0; i < calls->len; i++)
    {
      const char *next;

      if (!g_str_equal (g_ptr_array_index (calls, i), first))
        continue;

      n++;
      next = call_at (calls, i + 1);
      if (then != NULL)
        g_assert_cmpstr (next, ==, then);
      else
        g_assert_false (is_named_method (next));
    }

  return n;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_until_null (gpointer *pointer)
{
  g_autoptr(GSource) timeout = g_timeout_source_new (TIMEOUT_MS);
  gboolean timed_out = FALSE;

  g_source_set_callback (timeout, timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, NULL);
  while (*pointer != NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (timeout);

  g_assert_null (*pointer);
}

static void
assert_first_and_last (TestProtocol *protocol)
{
  log_calls (protocol->calls);
  g_assert_cmpstr (call_at (protocol->calls, 0), ==, "connection_made");
  g_assert_cmpuint (count_calls (protocol->calls, "connection_made"), ==, 1);
  g_assert_cmpuint (count_calls (protocol->calls, "process_exited"), ==, 1);
  g_assert_cmpuint (count_calls (protocol->calls, "process_ended"), ==, 1);
  g_assert_cmpstr (call_at (protocol->calls, protocol->calls->len - 1), ==, "process_ended");
}

/* ------------------------------------------------------------------ */
/* Tests */

static void
test_default_dispatch (void)
{
  g_autoptr(TestProtocol) protocol = test_protocol_new ();
  g_autoptr(TpxProcessTransport) transport =
    spawn_with (NULL, TPX_PROCESS_PROTOCOL (protocol), "write-both", NULL, NULL);

  tpx_test_run_until (&protocol->ended, TIMEOUT_MS);
  assert_first_and_last (protocol);

  g_assert_cmpuint (assert_always_followed_by (protocol->calls, "child_data_received:1", "out_received"), >=, 1);
  g_assert_cmpuint (assert_always_followed_by (protocol->calls, "child_data_received:2", "err_received"), >=, 1);
  g_assert_cmpuint (assert_always_followed_by (protocol->calls, "child_connection_lost:0", "in_connection_lost"), ==, 1);
  g_assert_cmpuint (assert_always_followed_by (protocol->calls, "child_connection_lost:1", "out_connection_lost"), ==, 1);
  g_assert_cmpuint (assert_always_followed_by (protocol->calls, "child_connection_lost:2", "err_connection_lost"), ==, 1);

  g_assert_cmpuint (count_calls (protocol->calls, "out_received"),
                    ==, count_calls (protocol->calls, "child_data_received:1"));
  g_assert_cmpuint (count_calls (protocol->calls, "err_received"),
                    ==, count_calls (protocol->calls, "child_data_received:2"));
  g_assert_cmpmem (protocol->out->data, protocol->out->len, "out", 3);
  g_assert_cmpmem (protocol->err->data, protocol->err->len, "err", 3);

  g_assert_nonnull (protocol->exit_status);
  g_assert_true (protocol->exit_status == protocol->end_status);
  g_assert_true (tpx_process_status_is_success (protocol->end_status));
}

/* Data and closes on other fds reach only the generic methods. */
static void
test_extra_fds_not_dispatched (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TestProtocol) protocol = test_protocol_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, "0:w,1:r,2:r,3:r", &error));
  g_assert_no_error (error);
  transport = spawn_with (launcher, TPX_PROCESS_PROTOCOL (protocol), "cat-fd", "0", "3");

  tpx_process_transport_write (transport, (const guint8 *) "three", 5);
  tpx_process_transport_close_stdin (transport);
  tpx_test_run_until (&protocol->ended, TIMEOUT_MS);
  assert_first_and_last (protocol);

  g_assert_cmpuint (count_calls (protocol->calls, "child_data_received:3"), >=, 1);
  g_assert_cmpuint (count_calls (protocol->calls, "child_connection_lost:3"), ==, 1);
  g_assert_cmpuint (count_calls (protocol->calls, "out_received"), ==, 0);
  g_assert_cmpuint (count_calls (protocol->calls, "err_received"), ==, 0);

  /* lost:0, lost:1, lost:2 and lost:3: only three have a named method. */
  g_assert_cmpuint (count_calls (protocol->calls, "in_connection_lost"), ==, 1);
  g_assert_cmpuint (count_calls (protocol->calls, "out_connection_lost"), ==, 1);
  g_assert_cmpuint (count_calls (protocol->calls, "err_connection_lost"), ==, 1);
  g_assert_cmpuint (assert_always_followed_by (protocol->calls, "child_connection_lost:3", NULL), ==, 1);
  g_assert_cmpuint (assert_always_followed_by (protocol->calls, "child_data_received:3", NULL), >=, 1);

  g_assert_cmpmem (protocol->fd_data[3]->data, protocol->fd_data[3]->len, "three", 5);
  g_assert_cmpuint (protocol->out->len, ==, 0);
}

/* An override that does not chain up replaces the dispatch. */
static void
test_override_without_chain_up (void)
{
  g_autoptr(TestProtocol) protocol = test_protocol_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;

  protocol->chain_up = FALSE;
  transport = spawn_with (NULL, TPX_PROCESS_PROTOCOL (protocol), "write-both", NULL, NULL);

  tpx_test_run_until (&protocol->ended, TIMEOUT_MS);
  assert_first_and_last (protocol);

  g_assert_cmpuint (count_calls (protocol->calls, "child_data_received:1"), >=, 1);
  g_assert_cmpuint (count_calls (protocol->calls, "child_connection_lost:1"), ==, 1);
  g_assert_cmpuint (count_calls (protocol->calls, "out_received"), ==, 0);
  g_assert_cmpuint (count_calls (protocol->calls, "err_received"), ==, 0);
  g_assert_cmpuint (count_calls (protocol->calls, "in_connection_lost"), ==, 0);
  g_assert_cmpuint (count_calls (protocol->calls, "out_connection_lost"), ==, 0);
  g_assert_cmpuint (count_calls (protocol->calls, "err_connection_lost"), ==, 0);
  g_assert_cmpmem (protocol->fd_data[1]->data, protocol->fd_data[1]->len, "out", 3);
}

static void
test_connection_made_during_spawn (void)
{
  g_autoptr(TestProtocol) protocol = test_protocol_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;

  transport = spawn_with (NULL, TPX_PROCESS_PROTOCOL (protocol), "exit", "0", NULL);

  /* Already called, with the transport spawn returned, and nothing else. */
  log_calls (protocol->calls);
  g_assert_cmpuint (protocol->calls->len, ==, 1);
  g_assert_cmpstr (call_at (protocol->calls, 0), ==, "connection_made");
  g_assert_true (protocol->made_with == transport);
  g_assert_true (protocol->transport_ok_in_made);
  g_assert_cmpint (protocol->pid_in_made, ==, tpx_process_transport_get_pid (transport));
  g_assert_cmpint (protocol->pid_in_made, >, 0);
  g_assert_true (tpx_process_transport_get_protocol (transport) == TPX_PROCESS_PROTOCOL (protocol));

  tpx_test_run_until (&protocol->ended, TIMEOUT_MS);
  assert_first_and_last (protocol);
}

/* tpx_spawn_process calls connection_made too. */
static void
test_connection_made_spawn_process (void)
{
  g_autoptr(TestProtocol) protocol = test_protocol_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("write-out", "hi", NULL);
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;

  transport = tpx_spawn_process (TPX_PROCESS_PROTOCOL (protocol), argv[0],
                                 (const char * const *) argv, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (call_at (protocol->calls, 0), ==, "connection_made");
  g_assert_true (protocol->made_with == transport);

  tpx_test_run_until (&protocol->ended, TIMEOUT_MS);
  assert_first_and_last (protocol);
  g_assert_cmpmem (protocol->out->data, protocol->out->len, "hi", 2);
}

/* The transport's user handlers log into the protocol's own list. */
static void
handler_data_cb (TpxProcessTransport *transport,
                 int                  child_fd,
                 GBytes              *data,
                 gpointer             user_data)
{
  add_call (user_data, "signal:child-data:%d", child_fd);
}

static void
handler_lost_cb (TpxProcessTransport *transport,
                 int                  child_fd,
                 gpointer             user_data)
{
  add_call (user_data, "signal:child-connection-lost:%d", child_fd);
}

static void
handler_exited_cb (TpxProcessTransport *transport,
                   TpxProcessStatus    *status,
                   gpointer             user_data)
{
  add_call (user_data, "signal:process-exited");
}

static void
handler_ended_cb (TpxProcessTransport *transport,
                  TpxProcessStatus    *status,
                  gpointer             user_data)
{
  add_call (user_data, "signal:process-ended");
}

static void
test_vfuncs_after_handlers (void)
{
  g_autoptr(TestProtocol) protocol = test_protocol_new ();
  g_autoptr(TpxProcessTransport) transport =
    spawn_with (NULL, TPX_PROCESS_PROTOCOL (protocol), "write-both", NULL, NULL);
  GPtrArray *calls = protocol->calls;
  guint n_checked = 0;

  g_signal_connect (transport, "child-data", G_CALLBACK (handler_data_cb), protocol);
  g_signal_connect (transport, "child-connection-lost", G_CALLBACK (handler_lost_cb), protocol);
  g_signal_connect (transport, "process-exited", G_CALLBACK (handler_exited_cb), protocol);
  g_signal_connect (transport, "process-ended", G_CALLBACK (handler_ended_cb), protocol);

  tpx_test_run_until (&protocol->ended, TIMEOUT_MS);
  log_calls (calls);

  /* Each vfunc comes right after its signal's handler, never alone. */
  for (guint i = 0; i < calls->len; i++)
    {
      const char *call = g_ptr_array_index (calls, i);
      g_autofree char *expected = NULL;
      int fd;

      if (sscanf (call, "child_data_received:%d", &fd) == 1)
        expected = g_strdup_printf ("signal:child-data:%d", fd);
      else if (sscanf (call, "child_connection_lost:%d", &fd) == 1)
        expected = g_strdup_printf ("signal:child-connection-lost:%d", fd);
      else if (g_str_equal (call, "process_exited"))
        expected = g_strdup ("signal:process-exited");
      else if (g_str_equal (call, "process_ended"))
        expected = g_strdup ("signal:process-ended");
      else
        continue;

      g_assert_cmpuint (i, >, 0);
      g_assert_cmpstr (call_at (calls, i - 1), ==, expected);
      n_checked++;
    }

  /* data:1, data:2, lost:0..2, exited, ended */
  g_assert_cmpuint (n_checked, >=, 7);
  g_assert_cmpuint (count_calls (calls, "signal:process-ended"), ==, 1);
  g_assert_cmpstr (call_at (calls, calls->len - 1), ==, "process_ended");
}

static void
notify_count_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_transport_property (void)
{
  g_autoptr(TestProtocol) protocol = test_protocol_new ();
  TpxProcessTransport *transport;
  TpxProcessTransport *from_property = NULL;
  gpointer weak_transport;
  guint n_notify = 0;

  g_assert_null (tpx_process_protocol_get_transport (TPX_PROCESS_PROTOCOL (protocol)));
  g_object_get (protocol, "transport", &from_property, NULL);
  g_assert_null (from_property);

  g_signal_connect (protocol, "notify::transport", G_CALLBACK (notify_count_cb), &n_notify);
  transport = spawn_with (NULL, TPX_PROCESS_PROTOCOL (protocol), "write-out", "x", NULL);
  g_assert_cmpuint (n_notify, >=, 1);

  g_assert_true (tpx_process_protocol_get_transport (TPX_PROCESS_PROTOCOL (protocol)) == transport);
  g_object_get (protocol, "transport", &from_property, NULL);
  g_assert_true (from_property == transport);
  g_clear_object (&from_property);

  weak_transport = transport;
  g_object_add_weak_pointer (G_OBJECT (transport), &weak_transport);
  g_object_unref (transport);

  tpx_test_run_until (&protocol->ended, TIMEOUT_MS);

  /* The protocol (we still hold it) does not keep the transport alive. */
  run_until_null (&weak_transport);
  g_assert_null (tpx_process_protocol_get_transport (TPX_PROCESS_PROTOCOL (protocol)));
  g_object_get (protocol, "transport", &from_property, NULL);
  g_assert_null (from_property);
}

static void
test_lifetime_protocol_dropped (void)
{
  TestProtocol *protocol = test_protocol_new ();
  TpxProcessTransport *transport;
  gpointer weak_protocol = protocol;
  gpointer weak_transport;
  g_autoptr(GPtrArray) calls = g_ptr_array_ref (protocol->calls);
  g_autoptr(GByteArray) out = g_byte_array_ref (protocol->out);

  g_object_add_weak_pointer (G_OBJECT (protocol), &weak_protocol);
  transport = spawn_with (NULL, TPX_PROCESS_PROTOCOL (protocol), "echo", NULL, NULL);
  weak_transport = transport;
  g_object_add_weak_pointer (G_OBJECT (transport), &weak_transport);

  /* The transport keeps the protocol; we keep neither. */
  g_object_unref (protocol);
  g_assert_nonnull (weak_protocol);
  tpx_process_transport_write (transport, (const guint8 *) "ping", 4);
  tpx_process_transport_close_stdin (transport);
  g_object_unref (transport);
  g_assert_nonnull (weak_protocol);

  /* Both go once the child's life is over: no cycle between them. The
   * protocol heard all of it before going. */
  run_until_null (&weak_transport);
  run_until_null (&weak_protocol);

  log_calls (calls);
  g_assert_cmpstr (call_at (calls, 0), ==, "connection_made");
  g_assert_cmpuint (count_calls (calls, "process_ended"), ==, 1);
  g_assert_cmpstr (call_at (calls, calls->len - 1), ==, "process_ended");
  g_assert_cmpmem (out->data, out->len, "ping", 4);
}

static void
test_lifetime_protocol_outlives (void)
{
  TestProtocol *protocol = test_protocol_new ();
  TpxProcessTransport *transport;
  gpointer weak_protocol = protocol;
  gpointer weak_transport;

  g_object_add_weak_pointer (G_OBJECT (protocol), &weak_protocol);
  transport = spawn_with (NULL, TPX_PROCESS_PROTOCOL (protocol), "exit", "0", NULL);
  weak_transport = transport;
  g_object_add_weak_pointer (G_OBJECT (transport), &weak_transport);
  g_object_unref (transport);

  tpx_test_run_until (&protocol->ended, TIMEOUT_MS);
  run_until_null (&weak_transport);

  /* Ours is now the only reference. */
  g_assert_nonnull (weak_protocol);
  g_object_unref (protocol);
  g_assert_null (weak_protocol);
}

static void
test_base_instance (void)
{
  g_autoptr(TpxProcessProtocol) protocol = tpx_process_protocol_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;

  g_assert_true (TPX_IS_PROCESS_PROTOCOL (protocol));
  g_assert_true (G_OBJECT_TYPE (protocol) == TPX_TYPE_PROCESS_PROTOCOL);

  transport = spawn_with (NULL, protocol, "echo", NULL, NULL);
  rec = tpx_test_recorder_new (transport);
  g_assert_true (tpx_process_protocol_get_transport (protocol) == transport);
  g_assert_true (tpx_process_transport_get_protocol (transport) == protocol);

  /* The default methods ignore everything; the signals still tell all. */
  tpx_process_transport_write (transport, (const guint8 *) "base", 4);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "base");
  g_assert_cmpuint (rec->n_ended, ==, 1);
  g_assert_true (tpx_process_status_is_success (rec->end_status));
}

static void
test_status_passed (void)
{
  g_autoptr(TestProtocol) protocol = test_protocol_new ();
  g_autoptr(TpxProcessTransport) transport =
    spawn_with (NULL, TPX_PROCESS_PROTOCOL (protocol), "kill-self", "15", NULL);

  tpx_test_run_until (&protocol->ended, TIMEOUT_MS);
  assert_first_and_last (protocol);

  g_assert_nonnull (protocol->exit_status);
  g_assert_true (protocol->exit_status == protocol->end_status);
  g_assert_true (tpx_process_transport_get_status (transport) == protocol->end_status);
  g_assert_cmpint (tpx_process_status_get_signal (protocol->end_status), ==, SIGTERM);
  g_assert_false (tpx_process_status_is_success (protocol->end_status));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tpx/process-protocol/dispatch/default", test_default_dispatch);
  g_test_add_func ("/tpx/process-protocol/dispatch/extra-fds", test_extra_fds_not_dispatched);
  g_test_add_func ("/tpx/process-protocol/dispatch/no-chain-up", test_override_without_chain_up);
  g_test_add_func ("/tpx/process-protocol/connection-made/during-spawn", test_connection_made_during_spawn);
  g_test_add_func ("/tpx/process-protocol/connection-made/spawn-process", test_connection_made_spawn_process);
  g_test_add_func ("/tpx/process-protocol/order/after-handlers", test_vfuncs_after_handlers);
  g_test_add_func ("/tpx/process-protocol/transport-property", test_transport_property);
  g_test_add_func ("/tpx/process-protocol/lifetime/protocol-dropped", test_lifetime_protocol_dropped);
  g_test_add_func ("/tpx/process-protocol/lifetime/protocol-outlives", test_lifetime_protocol_outlives);
  g_test_add_func ("/tpx/process-protocol/base-instance", test_base_instance);
  g_test_add_func ("/tpx/process-protocol/status", test_status_passed);

  return g_test_run ();
}

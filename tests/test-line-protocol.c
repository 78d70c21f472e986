/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * TpxLineProtocol: splitting per fd, "\r\n", UTF-8, overlong lines, the
 * last line at end of file, the order of signal, vfunc and chain-up, and
 * the memory bound (DESIGN.md §10.2).
 *
 * Most tests feed the protocol's virtual methods directly, read by read, so
 * that where reads end is exact; the others run a child.
 */

#include "config.h"

#include <string.h>

#include "tpx-line-protocol-private.h"
#include "tpx-test-common.h"

#define TIMEOUT_MS 20000

/* ------------------------------------------------------------------ */
/* A line protocol that writes down every call */

#define TEST_TYPE_LINES (test_lines_get_type ())
G_DECLARE_FINAL_TYPE (TestLines, test_lines, TEST, LINES, TpxLineProtocol)

struct _TestLines
{
  TpxLineProtocol  parent_instance;

  GPtrArray       *calls;        /* char *: "1:line", "out:bytes", "outlost", ... */
  gsize            max_buffered; /* the most the protocol held, seen in callbacks */
  gsize            longest;      /* the longest line delivered */
  guint64          n_lines;
  guint64          line_bytes;
  gboolean         quiet;        /* count lines, do not record them */
  gboolean         ended;
};

G_DEFINE_FINAL_TYPE (TestLines, test_lines, TPX_TYPE_LINE_PROTOCOL)

static void
test_lines_line_received (TpxLineProtocol *protocol,
                          int              child_fd,
                          const char      *line)
{
  TestLines *self = TEST_LINES (protocol);
  gsize len = strlen (line);

  g_assert_true (g_utf8_validate (line, -1, NULL));

  self->n_lines++;
  self->line_bytes += len;
  self->longest = MAX (self->longest, len);
  self->max_buffered = MAX (self->max_buffered, tpx_line_protocol_get_buffered_size (protocol));
  if (!self->quiet)
    g_ptr_array_add (self->calls, g_strdup_printf ("%d:%s", child_fd, line));
}

static void
test_lines_out_received (TpxProcessProtocol *protocol,
                         GBytes             *data)
{
  TestLines *self = TEST_LINES (protocol);
  gsize len;
  const char *bytes = g_bytes_get_data (data, &len);

  if (!self->quiet)
    g_ptr_array_add (self->calls, g_strdup_printf ("out:%.*s", (int) len, bytes));
}

static void
test_lines_out_connection_lost (TpxProcessProtocol *protocol)
{
  TestLines *self = TEST_LINES (protocol);

  g_ptr_array_add (self->calls, g_strdup ("outlost"));
}

static void
test_lines_process_ended (TpxProcessProtocol *protocol,
                          TpxProcessStatus   *status)
{
  TestLines *self = TEST_LINES (protocol);

  g_assert_true (tpx_process_status_is_success (status));
  self->ended = TRUE;
}

static void
test_lines_finalize (GObject *object)
{
  TestLines *self = TEST_LINES (object);

  g_ptr_array_unref (self->calls);

  G_OBJECT_CLASS (test_lines_parent_class)->finalize (object);
}

static void
test_lines_class_init (TestLinesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  TpxProcessProtocolClass *protocol_class = TPX_PROCESS_PROTOCOL_CLASS (klass);
  TpxLineProtocolClass *line_class = TPX_LINE_PROTOCOL_CLASS (klass);

  object_class->finalize = test_lines_finalize;
  protocol_class->out_received = test_lines_out_received;
  protocol_class->out_connection_lost = test_lines_out_connection_lost;
  protocol_class->process_ended = test_lines_process_ended;
  line_class->line_received = test_lines_line_received;
}

static void
test_lines_init (TestLines *self)
{
  self->calls = g_ptr_array_new_with_free_func (g_free);
}

static TestLines *
test_lines_new (gsize max)
{
  TestLines *self = g_object_new (TEST_TYPE_LINES, NULL);

  if (max > 0)
    tpx_line_protocol_set_max_line_length (TPX_LINE_PROTOCOL (self), max);

  return self;
}

/* One read of @len bytes (-1: a string) from @child_fd. */
static void
feed (gpointer    protocol,
      int         child_fd,
      const char *data,
      gssize      len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len < 0 ? strlen (data) : (gsize) len);

  TPX_PROCESS_PROTOCOL_GET_CLASS (protocol)->child_data_received (protocol, child_fd, bytes);
}

static void
feed_eof (gpointer protocol,
          int      child_fd)
{
  TPX_PROCESS_PROTOCOL_GET_CLASS (protocol)->child_connection_lost (protocol, child_fd);
}

/* The calls joined by "|", newly allocated; the calls are then forgotten. */
static char *
take_calls (TestLines *self)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < self->calls->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, '|');
      g_string_append (out, g_ptr_array_index (self->calls, i));
    }
  g_ptr_array_set_size (self->calls, 0);

  return g_string_free (out, FALSE);
}

/* Only the lines ("N:..." calls) joined by "|". */
static char *
take_lines (TestLines *self)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < self->calls->len; i++)
    {
      const char *call = g_ptr_array_index (self->calls, i);

      if (!g_ascii_isdigit (call[0]))
        continue;
      if (out->len > 0)
        g_string_append_c (out, '|');
      g_string_append (out, call);
    }
  g_ptr_array_set_size (self->calls, 0);

  return g_string_free (out, FALSE);
}

#define assert_lines(self, expected) \
  G_STMT_START { \
    g_autofree char *got_ = take_lines (self); \
    g_assert_cmpstr (got_, ==, expected); \
  } G_STMT_END

/* ------------------------------------------------------------------ */
/* Splitting */

static void
test_split_basic (void)
{
  g_autoptr(TestLines) lines = test_lines_new (0);

  feed (lines, 1, "a\nb\r\n\nc\rd\n", -1);
  assert_lines (lines, "1:a|1:b|1:|1:c\rd");

  /* A lone '\r' at the end of a read may still be the half of a "\r\n". */
  feed (lines, 1, "e\r", -1);
  assert_lines (lines, "");
  feed (lines, 1, "\n", -1);
  assert_lines (lines, "1:e");
}

static void
test_split_across_reads (void)
{
  g_autoptr(TestLines) lines = test_lines_new (0);

  feed (lines, 1, "he", -1);
  feed (lines, 1, "llo\nwo", -1);
  assert_lines (lines, "1:hello");
  feed (lines, 1, "r", -1);
  feed (lines, 1, "ld\r", -1);
  assert_lines (lines, "");
  feed (lines, 1, "\nnext\n", -1);
  assert_lines (lines, "1:world|1:next");
  g_assert_cmpuint (tpx_line_protocol_get_buffered_size (TPX_LINE_PROTOCOL (lines)), <=, 128);
}

static void
test_split_per_fd (void)
{
  g_autoptr(TestLines) lines = test_lines_new (0);

  feed (lines, 1, "out-", -1);
  feed (lines, 2, "err-", -1);
  feed (lines, 5, "five-", -1);
  feed (lines, 2, "b\n", -1);
  feed (lines, 1, "a\n", -1);
  feed (lines, 5, "c", -1);
  assert_lines (lines, "2:err-b|1:out-a");

  /* Each fd's last line comes when that fd closes, not before. */
  feed_eof (lines, 2);
  assert_lines (lines, "");
  feed_eof (lines, 5);
  assert_lines (lines, "5:five-c");
  feed (lines, 1, "x", -1);
  feed_eof (lines, 1);
  assert_lines (lines, "1:x");
}

/* The same bytes give the same lines however the reads cut them. */
static void
test_split_any_chunking (void)
{
  static const char * const alphabet[] = {
    "a", "b", "\n", "\r", "\r\n", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
    "\xff", "\xc3", "\x80", "\0", "longer text ",
  };
  static const gsize maxes[] = { 1, 2, 3, 4, 5, 7, 16, 65536 };
  GRand *rand = g_rand_new_with_seed (20240601);

  for (guint round = 0; round < 60; round++)
    {
      GString *data = g_string_new (NULL);
      gsize max = maxes[round % G_N_ELEMENTS (maxes)];
      g_autoptr(TestLines) whole = test_lines_new (max);
      g_autoptr(TestLines) bytewise = test_lines_new (max);
      g_autoptr(TestLines) random = test_lines_new (max);
      g_autofree char *expected = NULL;
      g_autofree char *got_bytewise = NULL;
      g_autofree char *got_random = NULL;

      for (guint i = 0; i < 400; i++)
        {
          const char *piece = alphabet[g_rand_int_range (rand, 0, G_N_ELEMENTS (alphabet))];

          g_string_append_len (data, piece, piece[0] == '\0' ? 1 : (gssize) strlen (piece));
        }

      feed (whole, 1, data->str, data->len);
      feed_eof (whole, 1);

      for (gsize i = 0; i < data->len; i++)
        feed (bytewise, 1, data->str + i, 1);
      feed_eof (bytewise, 1);

      for (gsize i = 0; i < data->len;)
        {
          gsize n = (gsize) g_rand_int_range (rand, 1, 40);

          n = MIN (n, data->len - i);

          feed (random, 1, data->str + i, n);
          i += n;
        }
      feed_eof (random, 1);

      expected = take_lines (whole);
      got_bytewise = take_lines (bytewise);
      got_random = take_lines (random);
      g_assert_cmpstr (got_bytewise, ==, expected);
      g_assert_cmpstr (got_random, ==, expected);
      g_assert_cmpuint (whole->longest, <=, max * 3);
      g_assert_cmpuint (bytewise->max_buffered, <=, max + 2);

      g_string_free (data, TRUE);
    }

  g_rand_free (rand);
}

/* ------------------------------------------------------------------ */
/* UTF-8 */

static void
test_utf8_invalid (void)
{
  g_autoptr(TestLines) lines = test_lines_new (0);

  feed (lines, 1, "caf\xc3\xa9 \xe2\x82\xac\n", -1);
  assert_lines (lines, "1:caf\xc3\xa9 \xe2\x82\xac");

  feed (lines, 1, "a\xff" "b\n", -1);
  assert_lines (lines, "1:a\xef\xbf\xbd" "b");

  /* A sequence cut short by the end of the line. */
  feed (lines, 1, "x\xe2\x82\n", -1);
  assert_lines (lines, "1:x\xef\xbf\xbd\xef\xbf\xbd");

  /* A NUL byte cannot be in a C string: it becomes U+FFFD too. */
  feed (lines, 1, "nul\0here\n", 9);
  assert_lines (lines, "1:nul\xef\xbf\xbdhere");

  /* A character split between two reads is one character. */
  feed (lines, 1, "split \xe2", -1);
  feed (lines, 1, "\x82", -1);
  feed (lines, 1, "\xac!\n", -1);
  assert_lines (lines, "1:split \xe2\x82\xac!");

  /* Valid lines after an invalid one in the same read stay as they are. */
  feed (lines, 1, "ok\n\xc0\xaf" "bad\nok \xc3\xa9\n", -1);
  assert_lines (lines, "1:ok|1:\xef\xbf\xbd\xef\xbf\xbd" "bad|1:ok \xc3\xa9");

  /* Invalid bytes in an unfinished line, completed by the next read. */
  feed (lines, 1, "\xfe", -1);
  feed (lines, 1, "end\n", -1);
  assert_lines (lines, "1:\xef\xbf\xbd" "end");
}

/* ------------------------------------------------------------------ */
/* Overlong lines */

static void
test_overlong_pieces (void)
{
  g_autoptr(TestLines) lines = test_lines_new (4);

  feed (lines, 1, "abcdefghij\n", -1);
  assert_lines (lines, "1:abcd|1:efgh|1:ij");

  /* Exactly the maximum is one piece, with or without '\r'. */
  feed (lines, 1, "abcd\nabcd\r\n", -1);
  assert_lines (lines, "1:abcd|1:abcd");

  /* Across reads: a piece is delivered as soon as it is known to be one. */
  feed (lines, 1, "abc", -1);
  assert_lines (lines, "");
  feed (lines, 1, "de", -1);
  assert_lines (lines, "1:abcd");
  feed (lines, 1, "fgh", -1);
  assert_lines (lines, "");
  feed (lines, 1, "\n", -1);
  assert_lines (lines, "1:efgh");

  /* A character is not cut in two when it can be kept whole. */
  feed (lines, 1, "abc\xe2\x82\xac\n", -1);
  assert_lines (lines, "1:abc|1:\xe2\x82\xac");
  feed (lines, 1, "ab", -1);
  feed (lines, 1, "c\xe2\x82", -1);
  feed (lines, 1, "\xac" "d\n", -1);
  assert_lines (lines, "1:abc|1:\xe2\x82\xac" "d");
}

static void
test_overlong_carriage_return (void)
{
  g_autoptr(TestLines) lines = test_lines_new (3);

  /* "abc\r" is a full line if a '\n' follows, a piece of a longer one
   * otherwise. */
  feed (lines, 1, "abc\r", -1);
  assert_lines (lines, "");
  feed (lines, 1, "\n", -1);
  assert_lines (lines, "1:abc");

  feed (lines, 1, "abc\r", -1);
  feed (lines, 1, "x\n", -1);
  assert_lines (lines, "1:abc|1:\rx");

  feed (lines, 1, "abc\r", -1);
  feed_eof (lines, 1);
  assert_lines (lines, "1:abc|1:\r");
}

static void
test_overlong_memory_bound (void)
{
  g_autoptr(TestLines) lines = test_lines_new (1000);
  g_autofree char *block = g_malloc (4096);

  lines->quiet = TRUE;
  memset (block, 'x', 4096);

  /* 10 MB without a newline, in reads of every size. */
  for (gsize done = 0, n = 1; done < 10 * 1000 * 1000; done += n, n = n % 4000 + 7)
    feed (lines, 1, block, n);

  g_assert_cmpuint (lines->longest, ==, 1000);
  g_assert_cmpuint (lines->max_buffered, <=, 1002);
  g_assert_cmpuint (tpx_line_protocol_get_buffered_size (TPX_LINE_PROTOCOL (lines)), <=, 1002);
}

/* ------------------------------------------------------------------ */
/* End of file */

static void
test_eof_partial_line (void)
{
  g_autoptr(TestLines) lines = test_lines_new (0);
  g_autofree char *calls = NULL;

  feed (lines, 1, "first\nlast", -1);
  feed_eof (lines, 1);
  calls = take_calls (lines);
  g_assert_cmpstr (calls, ==, "1:first|out:first\nlast|1:last|outlost");

  /* Nothing after the last newline: no empty line. */
  feed (lines, 1, "only\n", -1);
  feed_eof (lines, 1);
  g_clear_pointer (&calls, g_free);
  calls = take_calls (lines);
  g_assert_cmpstr (calls, ==, "1:only|out:only\n|outlost");

  /* The fd's state is gone: a new pipe with the same number starts afresh. */
  g_assert_cmpuint (tpx_line_protocol_get_buffered_size (TPX_LINE_PROTOCOL (lines)), ==, 0);
}

/* ------------------------------------------------------------------ */
/* The signal, the vfunc and chaining up */

static void
record_line_cb (TpxLineProtocol *protocol,
                int              child_fd,
                const char      *line,
                gpointer         user_data)
{
  TestLines *self = user_data;

  g_ptr_array_add (self->calls, g_strdup_printf ("signal %d:%s", child_fd, line));
}

static void
test_signal_before_vfunc (void)
{
  g_autoptr(TestLines) lines = test_lines_new (0);
  g_autofree char *calls = NULL;

  g_signal_connect (lines, "line-received", G_CALLBACK (record_line_cb), lines);
  feed (lines, 1, "a\nb\n", -1);
  calls = take_calls (lines);

  /* Lines first, then the raw bytes through the default dispatch. */
  g_assert_cmpstr (calls, ==, "signal 1:a|1:a|signal 1:b|1:b|out:a\nb\n");
}

static void
count_line_cb (TpxLineProtocol *protocol,
               int              child_fd,
               const char      *line,
               gpointer         user_data)
{
  GPtrArray *seen = user_data;

  g_ptr_array_add (seen, g_strdup_printf ("%d:%s", child_fd, line));
}

/* A handler connected while the lines of a read are delivered gets the
 * next line of that read. */
static void
connect_late_cb (TpxLineProtocol *protocol,
                 int              child_fd,
                 const char      *line,
                 gpointer         user_data)
{
  if (g_str_equal (line, "connect"))
    g_signal_connect (protocol, "line-received", G_CALLBACK (count_line_cb), user_data);
}

static void
test_signal_plain_protocol (void)
{
  g_autoptr(TpxLineProtocol) lines = tpx_line_protocol_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (lines, "line-received", G_CALLBACK (connect_late_cb), seen);
  feed (lines, 3, "one\nconnect\ntwo\nthree", -1);
  feed_eof (lines, 3);

  g_assert_cmpuint (seen->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (seen, 0), ==, "3:two");
  g_assert_cmpstr (g_ptr_array_index (seen, 1), ==, "3:three");
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_max_line_length_property (void)
{
  g_autoptr(TestLines) lines = test_lines_new (0);
  TpxLineProtocol *protocol = TPX_LINE_PROTOCOL (lines);
  guint64 value = 0;
  guint notified = 0;

  g_assert_cmpuint (tpx_line_protocol_get_max_line_length (protocol), ==, 65536);
  g_object_get (lines, "max-line-length", &value, NULL);
  g_assert_cmpuint (value, ==, 65536);

  g_signal_connect (lines, "notify::max-line-length", G_CALLBACK (count_notify_cb), &notified);
  tpx_line_protocol_set_max_line_length (protocol, 10);
  tpx_line_protocol_set_max_line_length (protocol, 10);
  g_assert_cmpuint (notified, ==, 1);
  g_object_set (lines, "max-line-length", (guint64) 8, NULL);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpuint (tpx_line_protocol_get_max_line_length (protocol), ==, 8);

  g_test_expect_message ("Tpx", G_LOG_LEVEL_CRITICAL, "*assertion*max > 0*");
  tpx_line_protocol_set_max_line_length (protocol, 0);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (tpx_line_protocol_get_max_line_length (protocol), ==, 8);

  /* Lowered while a longer line waits: the next read delivers it in
   * pieces of the new size. */
  feed (lines, 1, "abcdefg", -1);
  assert_lines (lines, "");
  tpx_line_protocol_set_max_line_length (protocol, 3);
  feed (lines, 1, "h\n", -1);
  assert_lines (lines, "1:abc|1:def|1:gh");
}

/* ------------------------------------------------------------------ */
/* With a child */

static TpxProcessTransport *
spawn_lines (TpxProcessLauncher *launcher,
             TestLines          *lines,
             const char         *mode,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  TpxProcessTransport *transport;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) tpx_test_helper_path ());
  g_ptr_array_add (argv, (gpointer) mode);
  va_start (args, mode);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  transport = tpx_process_launcher_spawn (launcher, TPX_PROCESS_PROTOCOL (lines),
                                          tpx_test_helper_path (),
                                          (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_nonnull (transport);

  return transport;
}

static void
note_line_cb (TpxLineProtocol *protocol,
              int              child_fd,
              const char      *line,
              gpointer         user_data)
{
  gboolean *got_line = user_data;

  *got_line = TRUE;
}

static void
test_child_across_reads (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TestLines) lines = test_lines_new (0);
  g_autoptr(TpxProcessTransport) transport = spawn_lines (launcher, lines, "echo", NULL);
  g_autofree char *calls = NULL;
  gboolean got_line = FALSE;

  g_signal_connect (lines, "line-received", G_CALLBACK (note_line_cb), &got_line);

  tpx_process_transport_write (transport, (const guint8 *) "one\ntw", 6);
  tpx_test_run_until (&got_line, TIMEOUT_MS);
  g_assert_cmpuint (lines->n_lines, ==, 1);

  /* The child echoes "o\r\nthr" in a read of its own: "tw" waited. */
  got_line = FALSE;
  tpx_process_transport_write (transport, (const guint8 *) "o\r\nthr", 6);
  tpx_test_run_until (&got_line, TIMEOUT_MS);
  g_assert_cmpuint (lines->n_lines, ==, 2);

  tpx_process_transport_close_stdin (transport);
  tpx_test_run_until (&lines->ended, TIMEOUT_MS);

  calls = take_lines (lines);
  g_assert_cmpstr (calls, ==, "1:one|1:two|1:thr");
}

static void
test_child_extra_fd (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TestLines) lines = test_lines_new (0);
  g_autoptr(GError) error = NULL;
  g_autoptr(TpxProcessTransport) transport = NULL;

  tpx_process_launcher_set_child_fds_from_string (launcher, "0:w,1:r,2:r,3:r", &error);
  g_assert_no_error (error);
  transport = spawn_lines (launcher, lines, "cat-fd", "0", "3", NULL);

  tpx_process_transport_write (transport, (const guint8 *) "three\r\nfd\xff", 10);
  tpx_process_transport_close_stdin (transport);
  tpx_test_run_until (&lines->ended, TIMEOUT_MS);

  assert_lines (lines, "3:three|3:fd\xef\xbf\xbd");
}

static void
check_numbered_cb (TpxLineProtocol *protocol,
                   int              child_fd,
                   const char      *line,
                   gpointer         user_data)
{
  guint64 *next = user_data;
  g_autofree char *expected = g_strdup_printf ("line %" G_GUINT64_FORMAT, *next);

  g_assert_cmpint (child_fd, ==, 1);
  g_assert_true (g_str_has_prefix (line, expected));
  g_assert_cmpuint (strlen (line), ==, 49);
  g_assert_true (line[strlen (expected)] == '.');
  (*next)++;
}

/* 10 MB of 50-byte lines, in 64 KiB writes that cut lines anywhere: every
 * line whole and in order, and never more than one line held. */
static void
test_child_big_output (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TestLines) lines = test_lines_new (0);
  g_autoptr(TpxProcessTransport) transport = NULL;
  guint64 next = 0;

  lines->quiet = TRUE;
  g_signal_connect (lines, "line-received", G_CALLBACK (check_numbered_cb), &next);
  transport = spawn_lines (launcher, lines, "lines", "200000", NULL);
  tpx_process_transport_close_stdin (transport);
  tpx_test_run_until (&lines->ended, TIMEOUT_MS);

  g_assert_cmpuint (next, ==, 200000);
  g_assert_cmpuint (lines->n_lines, ==, 200000);
  g_assert_cmpuint (lines->line_bytes, ==, 200000 * 49);
  g_assert_cmpuint (lines->max_buffered, <=, 128);
}

/* 10 MB without a newline: pieces of max-line-length, and no more memory
 * than that. */
static void
test_child_big_no_newline (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TestLines) lines = test_lines_new (0);
  g_autoptr(TpxProcessTransport) transport = NULL;

  lines->quiet = TRUE;
  transport = spawn_lines (launcher, lines, "big", "10000000", NULL);
  tpx_process_transport_close_stdin (transport);
  tpx_test_run_until (&lines->ended, TIMEOUT_MS);

  g_assert_cmpuint (lines->line_bytes, ==, 10000000);
  g_assert_cmpuint (lines->n_lines, ==, 10000000 / 65536 + 1);
  g_assert_cmpuint (lines->longest, ==, 65536);
  g_assert_cmpuint (lines->max_buffered, <=, 65536 + 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tpx/line-protocol/split/basic", test_split_basic);
  g_test_add_func ("/tpx/line-protocol/split/across-reads", test_split_across_reads);
  g_test_add_func ("/tpx/line-protocol/split/per-fd", test_split_per_fd);
  g_test_add_func ("/tpx/line-protocol/split/any-chunking", test_split_any_chunking);
  g_test_add_func ("/tpx/line-protocol/utf8/invalid", test_utf8_invalid);
  g_test_add_func ("/tpx/line-protocol/overlong/pieces", test_overlong_pieces);
  g_test_add_func ("/tpx/line-protocol/overlong/carriage-return", test_overlong_carriage_return);
  g_test_add_func ("/tpx/line-protocol/overlong/memory-bound", test_overlong_memory_bound);
  g_test_add_func ("/tpx/line-protocol/eof/partial-line", test_eof_partial_line);
  g_test_add_func ("/tpx/line-protocol/signal/before-vfunc", test_signal_before_vfunc);
  g_test_add_func ("/tpx/line-protocol/signal/plain-protocol", test_signal_plain_protocol);
  g_test_add_func ("/tpx/line-protocol/max-line-length/property", test_max_line_length_property);
  g_test_add_func ("/tpx/line-protocol/child/across-reads", test_child_across_reads);
  g_test_add_func ("/tpx/line-protocol/child/extra-fd", test_child_extra_fd);
  g_test_add_func ("/tpx/line-protocol/child/big-output", test_child_big_output);
  g_test_add_func ("/tpx/line-protocol/child/big-no-newline", test_child_big_no_newline);

  return g_test_run ();
}

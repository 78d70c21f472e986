/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-line-protocol-private.h"

#include <string.h>

#include "tpx-marshal.h"

/**
 * TpxLineProtocol:
 *
 * A [class@Tpx.ProcessProtocol] that reads its child's output line by line,
 * as Twisted's `LineReceiver` paired with a `ProcessProtocol`, asyncio's
 * `readline()` or a `GDataInputStream` stacked on a `GSubprocess` pipe.
 *
 * Every pipe the parent reads (standard output, standard error, any fd
 * mapped `r`, a pseudo-terminal) is split on `\n`, each fd on its own; a
 * `\r` right before the `\n` is dropped. Each line is delivered through
 * [signal@Tpx.LineProtocol::line-received] and then the
 * [vfunc@Tpx.LineProtocol.line_received] virtual method, without its
 * terminator, as a string that is always valid UTF-8: bytes that are not
 * (and NUL bytes) become U+FFFD, as with [func@GLib.utf8_make_valid], so
 * Python gets a `str` and gjs a string.
 *
 * A line longer than [property@Tpx.LineProtocol:max-line-length] bytes
 * (64 KiB unless set) is delivered in pieces of at most that many bytes,
 * cut between characters where the line is valid UTF-8. When a pipe
 * closes, the bytes after its last newline are delivered as a last line
 * (a `\r` there is kept: no `\n` follows it). The length counts the bytes
 * as the child wrote them: a piece in which invalid bytes were replaced can
 * be longer once each became U+FFFD.
 *
 * Memory stays bounded whatever the child writes: per read fd, at most
 * `max-line-length` + 2 bytes for the unfinished line. The whole lines of
 * a read are never gathered anywhere: they are copied once, into a buffer
 * per thread as large as the largest read (at most 1 MiB for a pipe), to
 * be NUL-terminated in place.
 *
 * The splitting happens in [vfunc@Tpx.ProcessProtocol.child_data_received],
 * which then chains up, so [vfunc@Tpx.ProcessProtocol.out_received] and
 * [vfunc@Tpx.ProcessProtocol.err_received] still get the raw bytes. A
 * subclass that overrides `child_data_received` or `child_connection_lost`
 * chains up to keep getting lines. Use one protocol per child.
 *
 * From Python, override `lineReceived(line)` (Twisted's name: the lines of
 * standard output) or `do_line_received(child_fd, line)` (every fd); from
 * gjs, `vfunc_line_received(child_fd, line)`.
 *
 * Since: 1.2
 */

#define DEFAULT_MAX_LINE_LENGTH 65536
/* Far beyond any sane line; keeps "max + 2" from overflowing. */
#define MAX_MAX_LINE_LENGTH (G_MAXSIZE / 4)

/* One read fd's unfinished line: the bytes after its last newline, at most
 * max + 1 of them (the extra one is a '\r' that may turn out to be the
 * first half of a "\r\n"), plus room for a NUL. Made the first time a read
 * ends inside a line, freed when the fd closes. */
typedef struct
{
  int     child_fd;
  gsize   len;
  gsize   alloc;
  guint8 *data;
} LineBuffer;

/* The buffer a read's whole lines are copied to, to be terminated in
 * place: one per thread (a GPrivate: a protocol is only used in the thread
 * that runs its transport's context, so nothing here is locked), as large
 * as the largest read (a pipe's reads are at most 1 MiB); a read delivered
 * while it is in use (a handler that iterates the main loop) gets one of
 * its own. */
#define SHARED_COPY_MAX (1024 * 1024)

typedef struct
{
  guint8   *data;
  gsize     alloc;
  gboolean  busy;
} SharedCopy;

typedef struct
{
  GPtrArray *buffers;          /* LineBuffer*, fds whose reads ended inside a line */
  gsize      max_line_length;
} TpxLineProtocolPrivate;

enum {
  PROP_0,
  PROP_MAX_LINE_LENGTH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  LINE_RECEIVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE_WITH_PRIVATE (TpxLineProtocol, tpx_line_protocol, TPX_TYPE_PROCESS_PROTOCOL)

#define ONES  G_GUINT64_CONSTANT (0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

/* The length of the longest prefix of @p that is valid UTF-8 as GLib
 * means it (no NUL byte, as g_utf8_validate()). ASCII goes eight bytes at
 * a time; other characters through g_utf8_validate_len(), a few at a time. */
static gsize
valid_utf8_prefix (const guint8 *p,
                   gsize         n)
{
  gsize i = 0;

  while (i < n)
    {
      const char *stop;
      gsize window;
      gsize advance;

      /* Bytes 0x01 … 0x7f only: no high bit, and subtracting one from each
       * byte borrows (sets a high bit) only from a zero byte. */
      while (n - i >= 8)
        {
          guint64 word;

          memcpy (&word, p + i, 8);
          if (((word - ONES) | word) & HIGHS)
            break;
          i += 8;
        }

      while (i < n && p[i] != 0 && p[i] < 0x80)
        i++;
      if (i == n || p[i] == 0)
        return i;

      /* A window of at least 4 bytes holds a whole character, so nothing
       * validated means an invalid one (or one cut off by the end). */
      window = MIN (n - i, 16);
      g_utf8_validate_len ((const char *) p + i, window, &stop);
      advance = (gsize) ((const guint8 *) stop - (p + i));
      if (advance == 0)
        return i;
      i += advance;
    }

  return i;
}

/* Where to cut a piece of @max bytes off a line longer than that (so p[max]
 * exists): before a character that would straddle the cut, unless it
 * starts the piece. */
static gsize
cut_point (const guint8 *p,
           gsize         max)
{
  gsize lead = max;
  gsize len;

  while (lead > 0 && max - lead < 3 && (p[lead] & 0xc0) == 0x80)
    lead--;
  if (lead == max || lead == 0 || (p[lead] & 0xc0) != 0xc0)
    return max;

  len = p[lead] >= 0xf0 ? 4 : p[lead] >= 0xe0 ? 3 : 2;

  return lead + len > max ? lead : max;
}

static void
emit_line (TpxLineProtocol *self,
           int              child_fd,
           const char      *line)
{
  if (g_signal_has_handler_pending (self, signals[LINE_RECEIVED], 0, FALSE))
    g_signal_emit (self, signals[LINE_RECEIVED], 0, child_fd, line);
  TPX_LINE_PROTOCOL_GET_CLASS (self)->line_received (self, child_fd, line);
}

/* Delivers the @n bytes at @p, in memory of our own with at least one
 * more byte after them: NUL-terminated in place, that byte put back
 * afterwards. @valid says they are known to be valid UTF-8. */
static void
emit_in_place (TpxLineProtocol *self,
               int              child_fd,
               guint8          *p,
               gsize            n,
               gboolean         valid)
{
  guint8 saved;

  if (!valid && valid_utf8_prefix (p, n) < n)
    {
      g_autofree char *fixed = g_utf8_make_valid ((const char *) p, (gssize) n);

      emit_line (self, child_fd, fixed);
      return;
    }

  saved = p[n];
  p[n] = '\0';
  emit_line (self, child_fd, (const char *) p);
  p[n] = saved;
}

/* Delivers a line of @n bytes at @p (our memory, followed by its '\n'),
 * in pieces of at most @max bytes if it is longer. */
static void
emit_pieces (TpxLineProtocol *self,
             int              child_fd,
             guint8          *p,
             gsize            n,
             gboolean         valid,
             gsize            max)
{
  while (n > max)
    {
      gsize k = cut_point (p, max);

      /* A character longer than @max has to be cut: its halves are not
       * valid on their own. */
      if ((p[k] & 0xc0) == 0x80)
        valid = FALSE;
      emit_in_place (self, child_fd, p, k, valid);
      p += k;
      n -= k;
    }

  emit_in_place (self, child_fd, p, n, valid);
}

/* Splits @n bytes of whole lines (the last byte is a '\n') in @copy. */
static void
split_lines (TpxLineProtocol *self,
             int              child_fd,
             guint8          *copy,
             gsize            n,
             gsize            max)
{
  guint8 *p = copy;
  guint8 *end = copy + n;
  guint8 *valid_end = NULL;   /* [p, valid_end) is valid UTF-8 */

  while (p < end)
    {
      guint8 *nl = memchr (p, '\n', (gsize) (end - p));
      gsize len = (gsize) (nl - p);

      /* One validation for the rest of the read rather than one per line;
       * again after each invalid line. */
      if (valid_end == NULL || valid_end < p)
        valid_end = p + valid_utf8_prefix (p, (gsize) (end - p));

      if (len > 0 && p[len - 1] == '\r')
        len--;

      if (G_LIKELY (len <= max && nl <= valid_end))
        {
          p[len] = '\0';
          emit_line (self, child_fd, (const char *) p);
        }
      else
        emit_pieces (self, child_fd, p, len, nl <= valid_end, max);

      p = nl + 1;
    }
}

static void
shared_copy_free (gpointer data)
{
  SharedCopy *shared = data;

  g_free (shared->data);
  g_free (shared);
}

static GPrivate shared_copy_key = G_PRIVATE_INIT (shared_copy_free);

static guint8 *
copy_acquire (const guint8 *p,
              gsize         n)
{
  SharedCopy *shared = g_private_get (&shared_copy_key);

  if (shared == NULL)
    {
      shared = g_new0 (SharedCopy, 1);
      g_private_set (&shared_copy_key, shared);
    }

  if (shared->busy || n > SHARED_COPY_MAX)
    return g_memdup2 (p, n);

  if (shared->alloc < n)
    {
      shared->alloc = MAX (n, MIN (MAX (shared->alloc * 2, 4096), SHARED_COPY_MAX));
      g_free (shared->data);
      shared->data = g_malloc (shared->alloc);
    }
  shared->busy = TRUE;
  memcpy (shared->data, p, n);

  return shared->data;
}

static void
copy_release (guint8 *copy)
{
  SharedCopy *shared = g_private_get (&shared_copy_key);

  if (copy == shared->data)
    shared->busy = FALSE;
  else
    g_free (copy);
}

static LineBuffer *
find_buffer (TpxLineProtocolPrivate *priv,
             int                     child_fd)
{
  for (guint i = 0; priv->buffers != NULL && i < priv->buffers->len; i++)
    {
      LineBuffer *buf = g_ptr_array_index (priv->buffers, i);

      if (buf->child_fd == child_fd)
        return buf;
    }

  return NULL;
}

static void
line_buffer_free (gpointer data)
{
  LineBuffer *buf = data;

  g_free (buf->data);
  g_free (buf);
}

static LineBuffer *
add_buffer (TpxLineProtocolPrivate *priv,
            int                     child_fd)
{
  LineBuffer *buf = g_new0 (LineBuffer, 1);

  buf->child_fd = child_fd;
  if (priv->buffers == NULL)
    priv->buffers = g_ptr_array_new_with_free_func (line_buffer_free);
  g_ptr_array_add (priv->buffers, buf);

  return buf;
}

/* Delivers a piece of @max bytes (or a little less, between characters)
 * off the front of @buf's line. */
static void
buffer_flush_piece (TpxLineProtocol *self,
                    LineBuffer      *buf,
                    gsize            max)
{
  gsize k = cut_point (buf->data, max);

  emit_in_place (self, buf->child_fd, buf->data, k, FALSE);
  buf->len -= k;
  memmove (buf->data, buf->data + k, buf->len);
}

/* The line holds more than @max bytes, not counting a last '\r' that a
 * '\n' may still follow. */
static gboolean
buffer_is_overlong (LineBuffer *buf,
                    gsize       max)
{
  return buf->len > max && !(buf->len == max + 1 && buf->data[max] == '\r');
}

/* Adds @n bytes without a '\n' to @buf's line, delivering pieces of @max
 * bytes as it grows past that. */
static void
buffer_append (TpxLineProtocol *self,
               LineBuffer      *buf,
               const guint8    *p,
               gsize            n,
               gsize            max)
{
  for (;;)
    {
      gsize take;

      while (buffer_is_overlong (buf, max))
        buffer_flush_piece (self, buf, max);
      if (n == 0)
        break;

      /* A full line whose last byte is a '\r' that more bytes follow: the
       * '\r' is part of the line after all. */
      if (buf->len > max)
        {
          buffer_flush_piece (self, buf, max);
          continue;
        }

      take = MIN (n, max + 1 - buf->len);
      if (buf->alloc < buf->len + take + 1)
        {
          buf->alloc = MAX (buf->len + take + 1, MIN (MAX (buf->alloc * 2, 128), max + 2));
          buf->data = g_realloc (buf->data, buf->alloc);
        }
      memcpy (buf->data + buf->len, p, take);
      buf->len += take;
      p += take;
      n -= take;
    }
}

/* @buf's line got its '\n'. */
static void
buffer_finish (TpxLineProtocol *self,
               LineBuffer      *buf)
{
  gsize n = buf->len;

  if (n > 0 && buf->data[n - 1] == '\r')
    n--;
  emit_in_place (self, buf->child_fd, buf->data, n, FALSE);
  buf->len = 0;
}

static void
split (TpxLineProtocol *self,
       int              child_fd,
       const guint8    *data,
       gsize            len)
{
  TpxLineProtocolPrivate *priv = tpx_line_protocol_get_instance_private (self);
  gsize max = priv->max_line_length;
  LineBuffer *buf = find_buffer (priv, child_fd);
  const guint8 *p = data;
  const guint8 *end = data + len;
  const guint8 *last;

  /* The end of the line the previous reads left unfinished. */
  if (buf != NULL && buf->len > 0)
    {
      const guint8 *nl = memchr (p, '\n', len);

      if (nl == NULL)
        {
          buffer_append (self, buf, p, len, max);
          return;
        }
      buffer_append (self, buf, p, (gsize) (nl - p), max);
      buffer_finish (self, buf);
      p = nl + 1;
    }

  /* The whole lines, terminated in a copy of ours; then what follows the
   * last '\n' waits for the next read. */
  last = p < end ? memrchr (p, '\n', (gsize) (end - p)) : NULL;
  if (last != NULL)
    {
      guint8 *copy = copy_acquire (p, (gsize) (last + 1 - p));

      split_lines (self, child_fd, copy, (gsize) (last + 1 - p), max);
      copy_release (copy);
      p = last + 1;
    }

  if (p < end)
    {
      if (buf == NULL)
        buf = add_buffer (priv, child_fd);
      buffer_append (self, buf, p, (gsize) (end - p), max);
    }
}

static void
tpx_line_protocol_real_child_data_received (TpxProcessProtocol *protocol,
                                            int                 child_fd,
                                            GBytes             *data)
{
  TpxLineProtocol *self = TPX_LINE_PROTOCOL (protocol);
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  if (len > 0)
    split (self, child_fd, bytes, len);

  TPX_PROCESS_PROTOCOL_CLASS (tpx_line_protocol_parent_class)->child_data_received (protocol, child_fd, data);
}

static void
tpx_line_protocol_real_child_connection_lost (TpxProcessProtocol *protocol,
                                              int                 child_fd)
{
  TpxLineProtocol *self = TPX_LINE_PROTOCOL (protocol);
  TpxLineProtocolPrivate *priv = tpx_line_protocol_get_instance_private (self);
  LineBuffer *buf = find_buffer (priv, child_fd);

  if (buf != NULL)
    {
      gsize max = priv->max_line_length;

      /* No '\n' can come now: a last '\r' stays in the line. */
      while (buf->len > max)
        buffer_flush_piece (self, buf, max);
      if (buf->len > 0)
        emit_in_place (self, buf->child_fd, buf->data, buf->len, FALSE);
      g_ptr_array_remove_fast (priv->buffers, buf);
    }

  TPX_PROCESS_PROTOCOL_CLASS (tpx_line_protocol_parent_class)->child_connection_lost (protocol, child_fd);
}

static void
tpx_line_protocol_real_line_received (TpxLineProtocol *self,
                                      int              child_fd,
                                      const char      *line)
{
}

static void
tpx_line_protocol_finalize (GObject *object)
{
  TpxLineProtocol *self = TPX_LINE_PROTOCOL (object);
  TpxLineProtocolPrivate *priv = tpx_line_protocol_get_instance_private (self);

  g_clear_pointer (&priv->buffers, g_ptr_array_unref);

  G_OBJECT_CLASS (tpx_line_protocol_parent_class)->finalize (object);
}

static void
tpx_line_protocol_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TpxLineProtocol *self = TPX_LINE_PROTOCOL (object);

  switch (prop_id)
    {
    case PROP_MAX_LINE_LENGTH:
      g_value_set_uint64 (value, tpx_line_protocol_get_max_line_length (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tpx_line_protocol_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TpxLineProtocol *self = TPX_LINE_PROTOCOL (object);

  switch (prop_id)
    {
    case PROP_MAX_LINE_LENGTH:
      tpx_line_protocol_set_max_line_length (self, (gsize) g_value_get_uint64 (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/**
 * TpxLineProtocolClass::line_received:
 * @self: the protocol
 * @child_fd: the child's fd the line came from (1 for everything a
 *   pseudo-terminal carries)
 * @line: the line, without its `\n` (or `\r\n`), valid UTF-8
 *
 * A line arrived, after the handlers of
 * [signal@Tpx.LineProtocol::line-received] ran. @line belongs to the
 * protocol and is valid only during the call. The default does nothing.
 *
 * Since: 1.2
 */

static void
tpx_line_protocol_class_init (TpxLineProtocolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  TpxProcessProtocolClass *protocol_class = TPX_PROCESS_PROTOCOL_CLASS (klass);

  object_class->finalize = tpx_line_protocol_finalize;
  object_class->get_property = tpx_line_protocol_get_property;
  object_class->set_property = tpx_line_protocol_set_property;

  protocol_class->child_data_received = tpx_line_protocol_real_child_data_received;
  protocol_class->child_connection_lost = tpx_line_protocol_real_child_connection_lost;

  klass->line_received = tpx_line_protocol_real_line_received;

  /**
   * TpxLineProtocol:max-line-length:
   *
   * The longest line, in bytes, delivered in one piece; longer lines come
   * in pieces of at most this many bytes. It also bounds the memory the
   * protocol keeps per fd. At least 1; 65536 unless set.
   *
   * Since: 1.2
   */
  properties[PROP_MAX_LINE_LENGTH] =
    g_param_spec_uint64 ("max-line-length", NULL, NULL,
                         1, MAX_MAX_LINE_LENGTH, DEFAULT_MAX_LINE_LENGTH,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TpxLineProtocol::line-received:
   * @self: the protocol
   * @child_fd: the child's fd the line came from (1 for everything a
   *   pseudo-terminal carries)
   * @line: the line, without its `\n` (or `\r\n`), valid UTF-8
   *
   * A line arrived from a pipe the parent reads. The protocol's
   * [vfunc@Tpx.LineProtocol.line_received] is called after the handlers.
   * @line is valid only during the emission.
   *
   * Since: 1.2
   */
  signals[LINE_RECEIVED] =
    g_signal_new ("line-received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, _tpx_marshal_VOID__INT_STRING,
                  G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[LINE_RECEIVED], G_TYPE_FROM_CLASS (klass),
                              _tpx_marshal_VOID__INT_STRINGv);
}

static void
tpx_line_protocol_init (TpxLineProtocol *self)
{
  TpxLineProtocolPrivate *priv = tpx_line_protocol_get_instance_private (self);

  priv->max_line_length = DEFAULT_MAX_LINE_LENGTH;
}

/**
 * tpx_line_protocol_new:
 *
 * Creates a protocol that delivers its child's output as lines, through
 * [signal@Tpx.LineProtocol::line-received].
 *
 * Returns: (transfer full): a new line protocol
 *
 * Since: 1.2
 */
TpxLineProtocol *
tpx_line_protocol_new (void)
{
  return g_object_new (TPX_TYPE_LINE_PROTOCOL, NULL);
}

/**
 * tpx_line_protocol_set_max_line_length:
 * @self: a line protocol
 * @max: the longest line delivered in one piece, in bytes; at least 1
 *
 * Sets [property@Tpx.LineProtocol:max-line-length]. It takes effect with
 * the next bytes read; an unfinished line already longer than @max is
 * then delivered in pieces.
 *
 * Since: 1.2
 */
void
tpx_line_protocol_set_max_line_length (TpxLineProtocol *self,
                                       gsize            max)
{
  TpxLineProtocolPrivate *priv;

  g_return_if_fail (TPX_IS_LINE_PROTOCOL (self));
  g_return_if_fail (max > 0 && max <= MAX_MAX_LINE_LENGTH);

  priv = tpx_line_protocol_get_instance_private (self);

  if (priv->max_line_length == max)
    return;

  priv->max_line_length = max;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_LINE_LENGTH]);
}

/**
 * tpx_line_protocol_get_max_line_length:
 * @self: a line protocol
 *
 * Gets [property@Tpx.LineProtocol:max-line-length].
 *
 * Returns: the longest line delivered in one piece, in bytes
 *
 * Since: 1.2
 */
gsize
tpx_line_protocol_get_max_line_length (TpxLineProtocol *self)
{
  TpxLineProtocolPrivate *priv;

  g_return_val_if_fail (TPX_IS_LINE_PROTOCOL (self), 0);

  priv = tpx_line_protocol_get_instance_private (self);

  return priv->max_line_length;
}

gsize
tpx_line_protocol_get_buffered_size (TpxLineProtocol *self)
{
  TpxLineProtocolPrivate *priv = tpx_line_protocol_get_instance_private (self);
  gsize total = 0;

  for (guint i = 0; priv->buffers != NULL && i < priv->buffers->len; i++)
    total += ((LineBuffer *) g_ptr_array_index (priv->buffers, i))->alloc;

  return total;
}

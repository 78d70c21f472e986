/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "tpx-loop-private.h"
#include "tpx-process-launcher.h"
#include "tpx-write-queue-private.h"

G_BEGIN_DECLS

/*
 * TpxPipe: the parent's end of one of the child's fds: its fd, its watch,
 * how much a read takes, what waits to be written, and where it is in its
 * life. A plain struct, owned by the transport that holds it; it emits
 * nothing (the transport does), and it is the one place where tpx reads
 * and writes the child's pipes.
 *
 * The close state, one value at a time:
 *
 *   OPEN ──request_close (queue empty)─────────────┐
 *    │                                             ▼
 *    └─request_close (data queued)─▶ CLOSING ──▶ CLOSED ──mark_lost──▶ LOST
 *                                     (queue written, or the pipe broke)
 *
 *   OPEN/CLOSING ──release_fd (EOF, EIO, a broken pipe, a hang-up)──▶ CLOSED
 *
 * CLOSED: the fd is closed and unwatched, child-connection-lost is still
 * due; LOST: it was emitted, and nothing happens to the pipe any more.
 *
 * A terminal is one device behind two fds (the child's fd 1 for reading,
 * fd 0 for writing): the hang-up of its reading side releases both.
 *
 * A socket is read and written through its one fd; closing it shuts its
 * writing side down once the queue is written (the child reads end of
 * file), and it is released when the child closed its end (end of file).
 */

typedef enum
{
  TPX_PIPE_OPEN,
  TPX_PIPE_CLOSING,
  TPX_PIPE_CLOSED,
  TPX_PIPE_LOST,
} TpxPipeState;

typedef enum
{
  TPX_PIPE_READ_DATA,     /* *bytes set (NULL if nobody wanted it) */
  TPX_PIPE_READ_MORE,     /* as DATA, and the buffer was filled: more may wait */
  TPX_PIPE_READ_AGAIN,    /* nothing now */
  TPX_PIPE_READ_EOF,      /* end of file (or EIO from a terminal): released */
} TpxPipeReadResult;

typedef struct _TpxPipe TpxPipe;

struct _TpxPipe
{
  int             child_fd;
  TpxChildFdKind  kind;          /* READ, WRITE or SOCKET (both ways) */
  int             fd;            /* -1 from CLOSED on */
  TpxPipeState    state;
  TpxLoopWatch   *watch;         /* NULL from CLOSED on */
  TpxWriteQueue   out;           /* WRITE: what the pipe did not take yet */
  gsize           read_size;     /* READ: grows with a busy pipe */
  TpxPipe        *terminal_peer; /* the other fd of the same terminal */
  gpointer        owner;         /* the transport, for the watch's callback */
  guint           is_terminal : 1;
  guint           grown : 1;     /* tried to enlarge the kernel buffer */
  guint           bulk : 1;      /* the last read was large */
  guint           want_out : 1;  /* WRITE, SOCKET: watching for G_IO_OUT */
  guint           write_shut : 1;/* SOCKET: shutdown (SHUT_WR) done */
  guint           silent : 1;    /* its loss is not announced (a terminal
                                  * writer on the reader's child fd) */
};

void              tpx_pipe_init          (TpxPipe        *pipe,
                                          int             child_fd,
                                          TpxChildFdKind  kind,
                                          int             fd,
                                          gboolean        is_terminal);
/* Pairs the two fds of one terminal. */
void              tpx_pipe_pair_terminal (TpxPipe        *reader,
                                          TpxPipe        *writer);

/* Adds the pipe's watch to @loop, disabled. */
gboolean          tpx_pipe_watch         (TpxPipe        *pipe,
                                          TpxLoop        *loop,
                                          TpxLoopFunc     func,
                                          gpointer        user_data);
/* Turns the watch on or off (pause, events held back); needs no new fd. */
void              tpx_pipe_set_watched   (TpxPipe        *pipe,
                                          TpxLoop        *loop,
                                          gboolean        watched);

/* One read. @wanted: FALSE when nobody listens, so no GBytes is made. */
TpxPipeReadResult tpx_pipe_read          (TpxPipe        *pipe,
                                          TpxLoop        *loop,
                                          gboolean        wanted,
                                          GBytes        **bytes);

/* Writes @data (borrowed) or @bytes (referenced when queued) now, as far
 * as the pipe takes it, and queues the rest. FALSE if the pipe broke. */
gboolean          tpx_pipe_write         (TpxPipe        *pipe,
                                          TpxLoop        *loop,
                                          const guint8   *data,
                                          gsize           len,
                                          GBytes         *bytes);
/* Writes what is queued as far as the pipe takes it. FALSE if it broke. */
gboolean          tpx_pipe_flush         (TpxPipe        *pipe,
                                          TpxLoop        *loop);

/* The caller asks to close: a write pipe with queued data goes CLOSING
 * (closed once written), a socket goes CLOSING (its writing side shut
 * down once written); any other OPEN pipe is released. TRUE if this
 * released the pipe now. */
gboolean          tpx_pipe_request_close (TpxPipe        *pipe,
                                          TpxLoop        *loop);
/* Stops watching, closes the fd, drops the queue: CLOSED (a LOST pipe
 * stays LOST). A terminal's reading side releases its writing side too. */
void              tpx_pipe_release_fd    (TpxPipe        *pipe,
                                          TpxLoop        *loop);
/* CLOSED → LOST. TRUE if the caller must now emit child-connection-lost. */
gboolean          tpx_pipe_mark_lost     (TpxPipe        *pipe);

static inline gboolean
tpx_pipe_reads (const TpxPipe *pipe)
{
  return pipe->kind == TPX_CHILD_FD_READ || pipe->kind == TPX_CHILD_FD_SOCKET;
}

static inline gboolean
tpx_pipe_is_open (const TpxPipe *pipe)
{
  return pipe->state == TPX_PIPE_OPEN || pipe->state == TPX_PIPE_CLOSING;
}

G_END_DECLS

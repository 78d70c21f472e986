/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * TpxCgroup: one cgroup v2 directory of our own, tpx-<pid>-<n>, that a
 * child moves itself into before execve() and that then holds the child's
 * whole tree (DESIGN.md §10.1, CGROUP kill mode). Nothing here knows about
 * transports, launchers or loops: it is a directory, a few of its files,
 * and a watch on cgroup.events.
 *
 * Life cycle: tpx_cgroup_new() creates the directory. The spawn makes the
 * child write "0" to tpx_cgroup_get_procs_fd() before execve(). Whoever
 * holds a reference may signal the tree and count it. Once the child
 * ended, tpx_cgroup_remove_when_empty() asks for the directory to go as
 * soon as nothing lives in it; that request holds its own reference, so
 * the caller may keep signalling what is left, or drop its reference at
 * once. Dropping the last reference removes the directory if it is empty
 * (after a failed spawn whose child was reaped, that is all there is to
 * do) and leaves it otherwise.
 *
 * Threads: the reference count is atomic; tpx_cgroup_new(), the getters,
 * tpx_cgroup_signal(), tpx_cgroup_list_processes(),
 * tpx_cgroup_count_processes() and
 * tpx_cgroup_is_populated() may be called from any thread at any time
 * (signals are serialised by a lock of the cgroup). In the child, between
 * fork and exec, only tpx_cgroup_get_procs_fd() (it reads a field).
 * tpx_cgroup_remove_when_empty() is called once, from any thread; its
 * watch then runs in the thread that iterates @context.
 */
typedef struct _TpxCgroup TpxCgroup;

/* Creates tpx-<getpid()>-<n> under @parent, a cgroup v2 directory (NULL:
 * the caller's own cgroup, from /proc/self/cgroup and the cgroup2 mount of
 * /proc/self/mountinfo, hybrid mounts included). Fails with
 * G_IO_ERROR_NOT_SUPPORTED (no cgroup2 mount, @parent missing or not
 * cgroup v2) or G_IO_ERROR_PERMISSION_DENIED (the directory cannot be made,
 * or the child could not move itself in: the common ancestor's
 * cgroup.procs is not writable), with a translated message naming the path
 * that was tried; then nothing is left behind. */
TpxCgroup  *tpx_cgroup_new               (const char    *parent,
                                          GError       **error) G_GNUC_WARN_UNUSED_RESULT;
TpxCgroup  *tpx_cgroup_ref               (TpxCgroup     *self);
/* Dropping the last reference closes the fds and removes the directory
 * if it is empty (a populated one is left as it is). */
void        tpx_cgroup_unref             (TpxCgroup     *self);

/* The absolute directory path (type filename). */
const char *tpx_cgroup_get_path          (TpxCgroup     *self);
/* cgroup.procs, opened O_WRONLY | O_CLOEXEC by tpx_cgroup_new(): the
 * child writes "0" to it (one write(), async-signal-safe) to move itself
 * in, before execve(), which closes it. Owned by the cgroup. The child
 * writes it before changing its uid or gid: kernels before 5.16 check
 * the writer's credentials, later ones the opener's. */
int         tpx_cgroup_get_procs_fd      (TpxCgroup     *self);

/* Sends @signum to every process of the tree, sub-cgroups included.
 * SIGKILL goes through cgroup.kill (Linux 5.14). Other signals, and
 * SIGKILL without cgroup.kill, freeze the cgroup (cgroup.freeze, then up
 * to half a second of waiting for "frozen 1" in cgroup.events; 1 to 3 ms
 * on a quiet machine), signal every pid of cgroup.procs and thaw it (a
 * cgroup someone else froze stays frozen). 0 only checks. FALSE with
 * G_IO_ERROR_NOT_FOUND when no process is left (or the directory is
 * gone); with another G_IO_ERROR when a process could not be signalled
 * (the others still were). Blocks for the freeze: call it where a few
 * milliseconds do not matter. */
gboolean    tpx_cgroup_signal            (TpxCgroup     *self,
                                          int            signum,
                                          GError       **error);
/* The processes in the tree now (cgroup.procs, sub-cgroups included),
 * each pid once, sorted (int): empty once the directory is gone. A
 * process on its way out stays listed for a moment after it closed its
 * fds. Free with g_array_unref(). */
GArray     *tpx_cgroup_list_processes    (TpxCgroup     *self);
/* The length of tpx_cgroup_list_processes(). */
guint       tpx_cgroup_count_processes   (TpxCgroup     *self);
/* "populated 1" in cgroup.events: a live process is in the tree. */
gboolean    tpx_cgroup_is_populated      (TpxCgroup     *self);

/* Removes the directory (with any sub-cgroups the tree made) as soon as
 * the tree is empty: now if it is, else when cgroup.events says
 * "populated 0", seen by a GSource on it in @context (NULL: the global
 * default context). The watch holds a reference until then, and outlives
 * the caller's reference: a tree that lives on is removed once it dies,
 * as long as @context is iterated. Call it once. */
void        tpx_cgroup_remove_when_empty (TpxCgroup     *self,
                                          GMainContext  *context);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TpxCgroup, tpx_cgroup_unref)

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Binds the "tpx" gettext domain to the installed catalogues, once. */
void tpx_i18n_init (void);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (TPX_INSIDE) && !defined (TPX_COMPILATION)
# error "Only <tpx/tpx.h> can be included directly."
#endif

#include <glib.h>

#include "tpx-version.h"

#ifndef _TPX_EXTERN
# define _TPX_EXTERN __attribute__((visibility ("default"))) extern
#endif

#define TPX_VERSION_1_0 (TPX_ENCODE_VERSION (1, 0, 0))
#define TPX_VERSION_1_2 (TPX_ENCODE_VERSION (1, 2, 0))

#ifndef TPX_VERSION_MIN_REQUIRED
# define TPX_VERSION_MIN_REQUIRED (TPX_VERSION_1_0)
#endif

#ifndef TPX_VERSION_MAX_ALLOWED
# define TPX_VERSION_MAX_ALLOWED (TPX_VERSION_1_2)
#endif

/**
 * TPX_DEPRECATED_FOR:
 * @f: the name of the symbol to use instead
 *
 * Marks a declaration as deprecated in favour of @f; the compiler warns
 * about its use unless `TPX_DISABLE_DEPRECATION_WARNINGS` is defined.
 *
 * Since: 1.0
 */

/**
 * TPX_UNAVAILABLE:
 * @maj: the major version that introduced the symbol
 * @min: the minor version that introduced the symbol
 *
 * Marks a declaration as introduced after `TPX_VERSION_MAX_ALLOWED`: the
 * compiler warns about its use.
 *
 * Since: 1.0
 */
#ifdef TPX_DISABLE_DEPRECATION_WARNINGS
# define TPX_DEPRECATED _TPX_EXTERN
# define TPX_DEPRECATED_FOR(f) _TPX_EXTERN
# define TPX_UNAVAILABLE(maj,min) _TPX_EXTERN
#else
# define TPX_DEPRECATED G_DEPRECATED _TPX_EXTERN
# define TPX_DEPRECATED_FOR(f) G_DEPRECATED_FOR (f) _TPX_EXTERN
# define TPX_UNAVAILABLE(maj,min) G_UNAVAILABLE (maj, min) _TPX_EXTERN
#endif

#define TPX_AVAILABLE_IN_ALL _TPX_EXTERN

#if TPX_VERSION_MAX_ALLOWED < TPX_VERSION_1_0
# define TPX_AVAILABLE_IN_1_0 TPX_UNAVAILABLE (1, 0)
#else
# define TPX_AVAILABLE_IN_1_0 _TPX_EXTERN
#endif

#if TPX_VERSION_MAX_ALLOWED < TPX_VERSION_1_2
# define TPX_AVAILABLE_IN_1_2 TPX_UNAVAILABLE (1, 2)
#else
# define TPX_AVAILABLE_IN_1_2 _TPX_EXTERN
#endif

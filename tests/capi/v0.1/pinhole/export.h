/* Symbol visibility for libpinhole. The library is built with
 * -fvisibility=hidden; only declarations marked PINHOLE_API are exported from
 * the shared object. Usable from C and C++. */
#ifndef PINHOLE_EXPORT_H
#define PINHOLE_EXPORT_H

#if defined(_WIN32)
#define PINHOLE_API
#elif defined(__GNUC__) || defined(__clang__)
#define PINHOLE_API __attribute__((visibility("default")))
#else
#define PINHOLE_API
#endif

#endif /* PINHOLE_EXPORT_H */

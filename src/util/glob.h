/*
 * Path globs, as used for policy.protected_paths. Paths are repository-relative
 * with '/' separators ("src/crypto/aes.c"). The syntax follows .gitignore:
 *
 *   *       any run of characters except '/'
 *   **      any run of characters including '/'; when it fills a whole path
 *           segment and a '/' follows, it also matches zero directories
 *           (pattern "a/", "**", "/b" joined matches "a/b" and "a/x/y/b")
 *   ?       one character except '/'
 *   [abc] [a-z] [!x] [^x]   one character (never '/') in / not in the class
 *   \c      the character c itself
 *
 * A pattern with no '/' matches the last component (the file's name) at any
 * depth: "*.pem" matches "certs/dev/key.pem". A pattern containing a '/' is
 * anchored at the repository root, as is one that starts with '/'. A pattern
 * ending in '/' matches everything below that directory ("docs/" protects every
 * file under docs; "vendor/" with no other '/' does so at any depth).
 * docs/CONFIG.md has a table of examples.
 *
 * Matching simulates all pattern positions at once, so it takes time
 * proportional to len(path) * len(pattern) whatever the pattern: no
 * exponential backtracking on stars.
 */
#ifndef MC_UTIL_GLOB_H
#define MC_UTIL_GLOB_H

/* 1 when path matches pattern, else 0 (also for an empty pattern or path). */
int mc_glob_match(const char *pattern, const char *path);

#endif

/* sd_listen.h - systemd socket activation, the protocol of sd_listen_fds(3)
 * implemented directly (no libsystemd):
 *
 *   LISTEN_PID   the PID the sockets are for (ours, or they are not ours)
 *   LISTEN_FDS   how many sockets, passed from fd 3 (SD_LISTEN_FDS_START) on
 *
 * sign_s3 takes exactly one: a listening stream socket (unix, IPv4 or
 * IPv6), checked with SO_ACCEPTCONN and SO_TYPE, which its --listen
 * workers then serve (listen.h). The variables, and LISTEN_FDNAMES, are
 * unset whatever they held, so nothing started later sees them. */
#ifndef SIGN_S3_SD_LISTEN_H
#define SIGN_S3_SD_LISTEN_H

#include <stddef.h>

#define SD_LISTEN_FDS_START 3
#define SD_LISTEN_DESC_MAX  160     /* "systemd socket fd 3 (unix:/run/...)" */

/* Returns 1 and *fd (set close-on-exec) when systemd passed this process
 * one listening stream socket; 0 when nothing was passed to it (no
 * LISTEN_PID, or another process's); -1 with the reason in err when what
 * was passed cannot be served (LISTEN_PID or LISTEN_FDS not a number, 0 or
 * more than one socket, fd 3 not a listening stream socket). */
int sd_listen_take(int *fd, char *err, size_t cap);

/* What fd listens on, for the log: "systemd socket fd 3 (unix:PATH)" or
 * "(HOST:PORT)". */
void sd_listen_describe(int fd, char *out, size_t cap);

#endif
